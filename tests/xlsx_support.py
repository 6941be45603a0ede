"""Reading an exported workbook in tests: every list export answers a streamed .xlsx attachment."""

import io

import openpyxl


def workbook_rows(response) -> list[list]:
    """The first sheet's rows (header first) of a streamed .xlsx attachment answered 200."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
