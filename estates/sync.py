"""The sales-system sync: upsert a batch of signed contracts by their external keys.

Contract: ../shared/API_CONTRACT.md "Portfolio sync". Every record is validated in Python first
(no query per record); the valid ones are then written with a fixed number of bulk queries, in
one transaction. An invalid record is reported by index and nothing of it is written. Re-sending
the same batch changes nothing. The query count depends on the batch's shape, never its length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from . import access, api_client_cache
from .models import Building, Contract, Customer, Project, Unit
from .signals import customers_changed
from .validators import validate_id_number, validate_phone

MAX_BATCH = 1000


class HouseholdSerializer(serializers.Serializer):
    children_ages = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=17), required=False, max_length=12)
    elderly = serializers.BooleanField(required=False)
    income_band = serializers.ChoiceField(choices=Customer.IncomeBand.choices, required=False, allow_blank=True)
    age_band = serializers.ChoiceField(choices=Customer.AgeBand.choices, required=False, allow_blank=True)
    size = serializers.IntegerField(min_value=1, max_value=30, required=False)


class CustomerRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, validators=[])
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)  # the column's length
    household = HouseholdSerializer(required=False)

    def validate_phone(self, value):
        if value:
            _run_django_validator(validate_phone, value)
        return value

    def validate_id_number(self, value):
        if value:
            value = value.upper()
            _run_django_validator(validate_id_number, value)
        return value


class ProjectRecordSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", max_length=40)
    name = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=60)


class UnitRecordSerializer(serializers.Serializer):
    building = serializers.CharField(max_length=40)
    number = serializers.CharField(max_length=40)
    area_m2 = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=Decimal("1"), required=False)
    unit_type = serializers.CharField(max_length=40, required=False, allow_blank=True)


class ContractRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    project = ProjectRecordSerializer()
    unit = UnitRecordSerializer()
    customers = CustomerRecordSerializer(many=True, allow_empty=False, max_length=10)
    signed_on = serializers.DateField()
    handover_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Contract.Status.choices, required=False)

    def validate(self, attrs):
        handover = attrs.get("handover_on")
        if handover and handover < attrs["signed_on"]:
            raise serializers.ValidationError({"handover_on": [_("The handover date cannot be before the signing date.")]})
        ids = [c["external_id"] for c in attrs["customers"]]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError({"customers": [_("The same customer is listed twice.")]})
        return attrs


def _run_django_validator(validator, value):
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        validator(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages)) from None


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "errors": self.errors}


def _customer_values(rec: dict) -> dict:
    hh = rec.get("household") or {}
    values = {"name": rec["name"]}
    for key in ("phone", "id_number", "email"):
        if key in rec:
            values[key] = rec[key]
    if "children_ages" in hh:
        values["children_ages"] = sorted(hh["children_ages"])
    if "elderly" in hh:
        values["elderly_living_in"] = hh["elderly"]
    if "income_band" in hh:
        values["income_band"] = hh["income_band"]
    if "age_band" in hh:
        values["age_band"] = hh["age_band"]
    if "size" in hh:
        values["household_size"] = hh["size"]
    return values


def _apply(obj, values: dict) -> list[str]:
    """Set ``values`` on ``obj``; return the names of fields that really changed."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def contracts_sync(*, actor, records) -> SyncResult:
    """Upsert ``records`` (a list of contract dicts). Safe to repeat; safe when two run at once.

    Raises ``serializers.ValidationError`` only for a batch that is not a list of at most
    ``MAX_BATCH`` items; everything else is reported per record in the result.
    """
    if not isinstance(records, list):
        raise serializers.ValidationError({"non_field_errors": [_("Expected a list of contracts.")]})
    if len(records) > MAX_BATCH:
        raise serializers.ValidationError(
            {"non_field_errors": [_("A batch holds at most %(max)d contracts.") % {"max": MAX_BATCH}]}
        )
    result = SyncResult()
    valid: list[tuple[int, dict]] = []
    seen_contracts: set[str] = set()
    seen_units: set[tuple[str, str]] = set()
    # One serializer instance validates every record: building a serializer's fields deep-copies
    # them, which per record cost more than the whole database write (3 s of a 1,000-record batch).
    validator = ContractRecordSerializer()
    for index, raw in enumerate(records):
        try:
            rec = validator.run_validation(raw)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            result.errors.append({"index": index, "errors": detail})
            continue
        code = rec["project"]["code"]
        if not access.can_write_project_code(actor, code):
            result.errors.append({"index": index, "errors": {"project": [_("Project %(code)s is outside your scope.") % {"code": code}]}})
            continue
        if rec["external_id"] in seen_contracts:
            result.errors.append({"index": index, "errors": {"external_id": [_("This contract appears twice in the batch.")]}})
            continue
        unit_key = (code, rec["unit"]["number"])
        if unit_key in seen_units:
            result.errors.append({"index": index, "errors": {"unit": [_("This unit appears twice in the batch.")]}})
            continue
        seen_contracts.add(rec["external_id"])
        seen_units.add(unit_key)
        valid.append((index, rec))
    if not valid:
        return result
    errors_before_write = list(result.errors)
    for attempt in range(2):
        try:
            counts, changed_customers = _write(actor, valid, result)
            break
        except IntegrityError:
            # A concurrent sync inserted one of our keys first; the second pass sees its rows.
            if attempt:
                raise
            result.errors[:] = errors_before_write  # the rolled-back pass may have reported records
    result.created, result.updated, result.unchanged = counts
    if changed_customers:
        transaction.on_commit(partial(customers_changed.send, sender=Contract, customer_ids=sorted(changed_customers)))
    return result


def _customers_with_contracts_outside(actor, customer_ids: set[str]) -> set[str]:
    """External ids of these customers that hold a contract in a project the actor may not write."""
    if not customer_ids:
        return set()
    rows = Contract.customers.through.objects.filter(customer__external_id__in=customer_ids).values_list(
        "customer__external_id", "contract__project__code"
    )
    return {ext for ext, code in rows if not access.can_write_project_code(actor, code)}


@transaction.atomic
def _write(actor, valid: list[tuple[int, dict]], result: SyncResult):
    # Existing contracts that belong to a project outside the actor's scope must not be touched.
    ext_ids = [rec["external_id"] for _i, rec in valid]
    existing_contracts = {
        c.external_id: c for c in Contract.objects.select_for_update().filter(external_id__in=ext_ids).select_related("project", "unit")
    }
    # A customer who also owns in a project outside the actor's scope is not theirs to rewrite:
    # one sales system must not change the name or phone another project's records rely on.
    foreign_customers = _customers_with_contracts_outside(actor, {c["external_id"] for _i, rec in valid for c in rec["customers"]})
    kept = []
    for index, rec in valid:
        existing = existing_contracts.get(rec["external_id"])
        if existing is not None and not access.can_write_project_code(actor, existing.project.code):
            result.errors.append({"index": index, "errors": {"external_id": [_("This contract belongs to a project outside your scope.")]}})
            continue
        foreign = sorted(c["external_id"] for c in rec["customers"] if c["external_id"] in foreign_customers)
        if foreign:
            result.errors.append({"index": index, "errors": {"customers": [
                _("Customer %(ids)s has contracts in a project outside your scope.") % {"ids": ", ".join(foreign)}]}})
            continue
        kept.append((index, rec))
    result.errors.sort(key=lambda e: e["index"])
    touched: dict[int, bool] = {i: False for i, _r in kept}

    # Projects.
    codes = {rec["project"]["code"] for _i, rec in kept}
    projects = {p.code: p for p in Project.objects.filter(code__in=codes)}
    new_projects = []
    changed_projects = []
    for index, rec in kept:
        prec = rec["project"]
        project = projects.get(prec["code"])
        if project is None:
            project = Project(code=prec["code"], name=prec["name"], city=prec["city"])
            projects[prec["code"]] = project
            new_projects.append(project)
            touched[index] = True
        elif project not in new_projects and _apply(project, {"name": prec["name"], "city": prec["city"]}):
            changed_projects.append(project)
            touched[index] = True
    Project.objects.bulk_create(new_projects)
    if new_projects:
        api_client_cache.invalidate()  # API clients given these codes see the new projects at once
    # bulk_update() skips auto_now: stamp the changed rows ourselves.
    now = timezone.now()
    for obj in changed_projects:
        obj.updated_at = now
    if changed_projects:
        Project.objects.bulk_update(set(changed_projects), ["name", "city", "updated_at"])

    # Buildings.
    project_ids = [p.pk for p in projects.values()]
    buildings = {(b.project_id, b.name): b for b in Building.objects.filter(project_id__in=project_ids)}
    new_buildings = {}
    for _index, rec in kept:
        key = (projects[rec["project"]["code"]].pk, rec["unit"]["building"])
        if key not in buildings and key not in new_buildings:
            new_buildings[key] = Building(project_id=key[0], name=key[1])
    Building.objects.bulk_create(new_buildings.values())
    buildings.update(new_buildings)

    # Units.
    numbers = {rec["unit"]["number"] for _i, rec in kept}
    units = {(u.project_id, u.number): u for u in Unit.objects.filter(project_id__in=project_ids, number__in=numbers)}
    new_units, changed_units = [], []
    for index, rec in kept:
        urec = rec["unit"]
        pid = projects[rec["project"]["code"]].pk
        values = {"building_id": buildings[(pid, urec["building"])].pk}
        if "area_m2" in urec:
            values["area_m2"] = urec["area_m2"]
        if "unit_type" in urec:
            values["unit_type"] = urec["unit_type"]
        unit = units.get((pid, urec["number"]))
        if unit is None:
            unit = Unit(project_id=pid, number=urec["number"], **values)
            units[(pid, urec["number"])] = unit
            new_units.append(unit)
            touched[index] = True
        elif _apply(unit, values):
            changed_units.append(unit)
            touched[index] = True
    Unit.objects.bulk_create(new_units)
    if changed_units:
        Unit.objects.bulk_update(changed_units, ["building_id", "area_m2", "unit_type"])

    # Customers: the last record that mentions a customer decides its values.
    customer_ids = {c["external_id"] for _i, rec in kept for c in rec["customers"]}
    customers = {c.external_id: c for c in Customer.objects.filter(external_id__in=customer_ids)}
    new_customers: dict[str, Customer] = {}
    changed_customer_objs: dict[str, Customer] = {}
    changed_fields: set[str] = set()
    for index, rec in kept:
        for crec in rec["customers"]:
            values = _customer_values(crec)
            customer = customers.get(crec["external_id"])
            if customer is None:
                customer = Customer(external_id=crec["external_id"], **values)
                customers[crec["external_id"]] = customer
                new_customers[crec["external_id"]] = customer
                touched[index] = True
            else:
                changed = _apply(customer, values)
                if changed:
                    touched[index] = True
                    if crec["external_id"] not in new_customers:
                        changed_customer_objs[crec["external_id"]] = customer
                        changed_fields.update(changed)
    Customer.objects.bulk_create(new_customers.values())
    for obj in changed_customer_objs.values():
        obj.updated_at = now
    if changed_customer_objs:
        Customer.objects.bulk_update(changed_customer_objs.values(), sorted(changed_fields | {"updated_at"}))

    # Contracts and their customers.
    new_contracts, changed_contracts = [], []
    wanted_links: dict[str, set[int]] = {}
    for index, rec in kept:
        pid = projects[rec["project"]["code"]].pk
        unit = units[(pid, rec["unit"]["number"])]
        values = {"project_id": pid, "unit_id": unit.pk, "signed_on": rec["signed_on"]}
        if "handover_on" in rec:  # absent keeps the date we have (as for customers); null clears it
            values["handover_on"] = rec["handover_on"]
        if "status" in rec:
            values["status"] = rec["status"]
        contract = existing_contracts.get(rec["external_id"])
        if contract is None:
            contract = Contract(external_id=rec["external_id"], **values)
            existing_contracts[rec["external_id"]] = contract
            new_contracts.append((index, contract))
        elif _apply(contract, values):
            changed_contracts.append(contract)
            touched[index] = True
        wanted_links[rec["external_id"]] = {customers[c["external_id"]].pk for c in rec["customers"]}
    Contract.objects.bulk_create([c for _i, c in new_contracts])
    for obj in changed_contracts:
        obj.updated_at = now
    if changed_contracts:
        Contract.objects.bulk_update(changed_contracts, ["project_id", "unit_id", "signed_on", "handover_on", "status", "updated_at"])

    through = Contract.customers.through
    contract_pks = {ext: existing_contracts[ext].pk for ext in wanted_links}
    current: dict[int, set[int]] = {}
    for cid, cust in through.objects.filter(contract_id__in=contract_pks.values()).values_list("contract_id", "customer_id"):
        current.setdefault(cid, set()).add(cust)
    to_add, to_remove = [], []
    ext_index = {rec["external_id"]: index for index, rec in kept}
    for ext, wanted in wanted_links.items():
        cid = contract_pks[ext]
        have = current.get(cid, set())
        if wanted != have:
            touched[ext_index[ext]] = True
            to_add += [through(contract_id=cid, customer_id=c) for c in wanted - have]
            to_remove += [(cid, c) for c in have - wanted]
    through.objects.bulk_create(to_add)
    for cid, cust in to_remove:  # rare: a buyer removed from a contract
        through.objects.filter(contract_id=cid, customer_id=cust).delete()

    created_idx = {i for i, _c in new_contracts}
    created = len(created_idx)
    updated = sum(1 for i, t in touched.items() if t and i not in created_idx)
    unchanged = len(kept) - created - updated
    changed_customer_pks = {c.pk for c in new_customers.values()} | {c.pk for c in changed_customer_objs.values()}
    changed_customer_pks |= {customers[c["external_id"]].pk for i, rec in kept if touched[i] for c in rec["customers"]}
    return (created, updated, unchanged), changed_customer_pks
