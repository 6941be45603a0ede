from touchpoints import rules


def test_coverage_counts_met_against_applicable_points():
    cov = rules.coverage(totals={"A": 10, "B": 4}, answers={("A", "met"): 6, ("A", "issue"): 1, ("A", "not_applicable"): 2})
    a = cov[0]
    assert (a.grade, a.checked, a.unchecked, a.applicable, a.met_pct) == ("A", 9, 1, 8, 0.75)


def test_coverage_of_a_grade_without_points_is_none_not_zero():
    cov = rules.coverage(totals={"A": 2}, answers={})
    assert (cov[2].grade, cov[2].met_pct, cov[2].checked_pct) == ("C", None, None)


def test_coverage_when_every_point_is_not_applicable_is_none():
    cov = rules.coverage(totals={"B": 2}, answers={("B", "not_applicable"): 2})
    assert cov[1].met_pct is None


def test_only_an_issue_on_an_a_point_opens_a_follow_up():
    assert rules.opens_follow_up(grade="A", status="issue") is True
    assert rules.opens_follow_up(grade="B", status="issue") is False
    assert rules.opens_follow_up(grade="A", status="met") is False


def test_risk_classification_follows_the_customer_view_of_each_stage():
    assert rules.risk_classification(stage="sales") == ("management", "marketing")
    assert rules.risk_classification(stage="delivery") == ("product", "delivery")
    assert rules.risk_classification(stage="investment") == ("external", "marketing")
    assert rules.risk_classification(stage="residence") == ("management", "comprehensive")
