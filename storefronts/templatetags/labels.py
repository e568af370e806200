"""``{{ text|without_rule_ids }}``: a label or help text with the policy's rule ids left out
(``storefronts.labels``), for admin templates that show a model field's own help text."""

from django import template

from storefronts.labels import without_rule_ids as _without_rule_ids

register = template.Library()


@register.filter
def without_rule_ids(text):
    return _without_rule_ids(text)
