"""REST endpoints of the risk app: reviews, risk items, adverse factors, sales promises.

Each operation parses input with its own InputSerializer, resolves every id through a scoped
selector, calls one service and renders an OutputSerializer. Objects outside the caller's scope
are 404; a write naming a project outside scope is 403 for an API client and 404 for staff (the
staff UI never reveals that a project exists). Sign-off by anyone below the GM level is 403.
"""

from .factors import FactorDetailApi, FactorDiscloseApi, FactorListApi, FactorTypeListApi
from .items import (
    RiskItemCloseApi,
    RiskItemDetailApi,
    RiskItemFollowUpApi,
    RiskItemListApi,
    RiskItemReopenApi,
    RiskItemStartApi,
    RiskItemUpdateApi,
)
from .promises import PromiseChangeActionApi, PromiseChangeProposeApi, PromiseDetailApi, PromiseListApi, PromiseVerifyApi
from .reviews import ReviewAnswerApi, ReviewDetailApi, ReviewListApi, ReviewSignOffApi

__all__ = [
    "FactorDetailApi",
    "FactorDiscloseApi",
    "FactorListApi",
    "FactorTypeListApi",
    "PromiseChangeActionApi",
    "PromiseChangeProposeApi",
    "PromiseDetailApi",
    "PromiseListApi",
    "PromiseVerifyApi",
    "ReviewAnswerApi",
    "ReviewDetailApi",
    "ReviewListApi",
    "ReviewSignOffApi",
    "RiskItemCloseApi",
    "RiskItemDetailApi",
    "RiskItemFollowUpApi",
    "RiskItemListApi",
    "RiskItemReopenApi",
    "RiskItemStartApi",
    "RiskItemUpdateApi",
]
