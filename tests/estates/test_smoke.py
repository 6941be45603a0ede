def test_project_list_page_renders(staff_client, project):
    response = staff_client.get("/projects/")
    assert response.status_code == 200
    assert project.name in response.content.decode()
