"""What the demo loader hands to each app's ``<app>/demo.py``.

Each feature app may ship ``demo.py`` with ``def load(ctx: DemoContext) -> str`` that adds its
own realistic records through its services (so events, due times and notifications are real)
and returns a one-line summary. ``manage.py demo`` calls them in ``settings.TOUCHSTONE_APPS`` order.
"""

import random
from dataclasses import dataclass, field
from datetime import date


@dataclass
class DemoContext:
    rng: random.Random
    today: date
    projects: list  # estates.Project, 3 of them in different cities and stages
    staff: dict  # role value -> list[User]; every role present
    customers: list  # estates.Customer, about 1,000
    contracts: list  # estates.Contract
    extra: dict = field(default_factory=dict)  # apps may leave things here for later apps
