// The order list's service filter (orders.admin.ServiceFilter): apply it as soon as a service is
// picked or cleared. select2 announces both through jQuery's "change", so listen through it.
'use strict';
{
    const $ = window.django && window.django.jQuery;
    if ($) {
        $(document).on('change', 'select.service-filter', function() {
            this.form.submit();
        });
    }
}
