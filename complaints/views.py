from django.http import HttpResponse


def _stub(request, *args, **kwargs):
    return HttpResponse("")


inbox = intake = detail = action = case_edit = case_list = case_detail = cluster_list = cluster_detail = _stub
report_list = report_detail = report_xlsx = kpis = _stub
