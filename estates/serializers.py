"""Output shapes of the portfolio shared by the apps' APIs (masking by the requesting actor)."""

from rest_framework import serializers

from . import access
from .models import Customer, Project, Unit


class ProjectRefField(serializers.SlugRelatedField):
    """A project written and read by its code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class MaskedPhoneField(serializers.CharField):
    def to_representation(self, value):
        return access.phone_for(self.context["request"].user, value)


class MaskedIdNumberField(serializers.CharField):
    def to_representation(self, value):
        return access.id_number_for(self.context["request"].user, value)


class ProjectOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "code", "name", "city", "company", "stage", "created_at", "updated_at"]


class UnitOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    building = serializers.CharField(source="building.name")

    class Meta:
        model = Unit
        fields = ["id", "project", "building", "number", "unit_type", "area_m2"]


class CustomerOutputSerializer(serializers.ModelSerializer):
    phone = MaskedPhoneField()
    id_number = MaskedIdNumberField()

    class Meta:
        model = Customer
        fields = [
            "id", "external_id", "name", "phone", "id_number", "children_ages", "elderly_living_in",
            "income_band", "age_band", "household_size", "created_at", "updated_at",
        ]
