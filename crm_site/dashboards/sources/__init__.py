"""One module per feature app: how its figures enter the dashboards (see ``sections``)."""
