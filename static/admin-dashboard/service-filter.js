// The order list's service filter (orders.admin.ServiceFilter): apply it as soon as a service is
// picked or cleared. select2 announces both through jQuery's "change", so listen through the
// admin's jQuery (django.jQuery), once the page's scripts have all run.
'use strict';
document.addEventListener('DOMContentLoaded', function() {
    const $ = window.django && window.django.jQuery;
    if (!$) {
        return;
    }
    $(document).on('change', 'select.service-filter', function() {
        this.form.submit();
    });
});
