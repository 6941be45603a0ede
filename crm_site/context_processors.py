from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, icon letter); entries whose URL does not exist yet are left out.
NAV = [
    ("dashboards:project-dashboard-home", _("Dashboard")),
    ("complaints:inbox", _("Complaints")),
    ("defects:index", _("Defects")),
    ("risk:index", _("Risk control")),
    ("touchpoints:index", _("Touchpoints")),
    ("satisfaction:index", _("Satisfaction")),
    ("segments:index", _("Segments")),
    ("estates:project-list", _("Projects")),
    ("estates:customer-list", _("Customers")),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items = []
    for name, label in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url) and url != "/"})
    from estates.access import projects_for
    from estates.notifications import unread_count

    # Sliced in SQL: a group user sees every project, the sidebar lists the first dozen.
    my_projects = list(projects_for(request.user).order_by("city", "code").only("code", "name")[:12])
    return {"nav_items": items, "unread_notifications": unread_count(user=request.user), "my_projects": my_projects}
