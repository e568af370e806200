"""Staff group permissions granted from data migrations (each app grants its own models')."""

from django.contrib.auth.management import create_permissions


def group_permissions_grant(
    apps, grants: dict[str, list[tuple[str, str]]], *, revoke: bool = False
) -> None:
    """Give (or take back) ``{"Group": [(app_label, codename), ...]}``, creating groups as needed.

    Permissions are normally created after all migrations ran; create them now so a group can hold them.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in grants.items():
        group, _ = Group.objects.get_or_create(name=name)
        rows = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in perms
        ]
        if revoke:
            group.permissions.remove(*rows)
        else:
            group.permissions.add(*rows)
