"""REST endpoints for defects and the handbook: one view per operation, scoped like the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.selectors import complaint_get_for_action
from estates.access import can_write_project_code, projects_for
from estates.models import Department
from estates.serializers import ProjectRefField

from . import photos, selectors, services
from .filters import DefectFilter
from .models import Defect, DefectEvent, DefectPhoto, HandbookEntry, Tag

# ---------------------------------------------------------------- output shapes


class TagOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "kind", "name", "name_en"]


class DefectListOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    responsible_department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    tags = TagOutputSerializer(many=True, read_only=True)
    source_complaint = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Defect
        fields = [
            "id", "code", "project", "title", "source", "status", "grade", "unit_types", "location", "households_affected",
            "responsible_department", "owner", "found_on", "due_on", "is_overdue", "tags", "source_complaint", "created_at", "updated_at",
        ]

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue_on(selectors.local_today())


class DefectEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = DefectEvent
        fields = ["at", "kind", "actor", "status_before", "status_after", "detail"]

    def get_actor(self, obj) -> str | None:
        return obj.actor.username if obj.actor else None


class DefectPhotoOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = DefectPhoto
        fields = ["id", "caption", "content_type", "width", "height", "size_bytes", "url", "thumbnail_url", "created_at"]

    def get_url(self, obj) -> str:
        return reverse("defects:photo", args=[obj.pk, "full"])

    def get_thumbnail_url(self, obj) -> str:
        return reverse("defects:photo", args=[obj.pk, "thumb"])


class DefectDetailOutputSerializer(DefectListOutputSerializer):
    units = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    events = DefectEventOutputSerializer(many=True, read_only=True)
    photos = DefectPhotoOutputSerializer(many=True, read_only=True)
    handbook_entry = serializers.SerializerMethodField()
    source_complaint_reference = serializers.CharField(source="source_complaint.reference", read_only=True, default=None)

    class Meta(DefectListOutputSerializer.Meta):
        fields = [
            *DefectListOutputSerializer.Meta.fields, "source_complaint_reference", "description", "units", "cause_analysis", "safety_risk", "complaint_risk",
            "estimated_loss", "measures", "prevention", "rectified_at", "verified_at", "actual_cost", "closed_at",
            "rejection_count", "handbook_entry", "events", "photos",
        ]

    def get_handbook_entry(self, obj) -> int | None:
        entry = HandbookEntry.objects.filter(defect=obj).values_list("pk", flat=True).first()
        return entry


def _detail(request, defect: Defect, *, code=status.HTTP_200_OK) -> Response:
    defect = selectors.defect_get(actor=request.user, pk=defect.pk)
    return Response(DefectDetailOutputSerializer(defect, context={"request": request}).data, status=code)


# ---------------------------------------------------------------- defects


class DefectListCreateApi(generics.ListAPIView):
    """GET: defects in the caller's projects, filtered. POST: file a defect report."""

    serializer_class = DefectListOutputSerializer
    filterset_class = DefectFilter

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectListCreateInput"

        project = serializers.CharField(max_length=40)
        series = serializers.RegexField(r"^[A-Z]{1,6}$", required=False, default="SJ")
        title = serializers.CharField(max_length=200)
        description = serializers.CharField()
        source = serializers.ChoiceField(choices=Defect.Source.choices)
        units = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list, max_length=500)
        unit_types = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
        location = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
        cause_analysis = serializers.CharField(required=False, default="", allow_blank=True)
        households_affected = serializers.IntegerField(min_value=0, max_value=100000, required=False, default=0)
        safety_risk = serializers.BooleanField(required=False, default=False)
        complaint_risk = serializers.BooleanField(required=False, default=False)
        estimated_loss = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None)
        responsible_department = serializers.SlugRelatedField(
            slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True, default=None
        )
        owner = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        found_on = serializers.DateField()
        due_on = serializers.DateField(required=False, allow_null=True, default=None)
        tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False, default=list)
        source_complaint = serializers.IntegerField(required=False, allow_null=True, default=None,
                                                    help_text="Id of the owner complaint the defect came from (same project).")

    def get_queryset(self):
        return selectors.defect_list(actor=self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={201: DefectDetailOutputSerializer, 400: OpenApiResponse(description="Invalid input; nothing written."),
                   403: OpenApiResponse(description="The project is outside the caller's scope.")},
        operation_id="defects_create",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not can_write_project_code(request.user, v["project"]):
            raise PermissionDenied
        project = projects_for(request.user).filter(code=v["project"]).first()
        if project is None:
            raise serializers.ValidationError({"project": [_("Unknown project.")]})
        units = list(project.units.filter(number__in=v["units"]))
        missing = sorted(set(v["units"]) - {u.number for u in units})
        if missing:
            raise serializers.ValidationError({"units": [_("Unknown unit: %(units)s") % {"units": ", ".join(missing)}]})
        owner = None
        if v["owner"]:
            owner = selectors.staff_on_project(project=project, username=v["owner"])
            if owner is None:
                raise serializers.ValidationError({"owner": [_("The responsible person does not work on this project.")]})
        complaint = None
        if v["source_complaint"] is not None:
            complaint = complaint_get_for_action(actor=request.user, pk=v["source_complaint"])  # outside scope: 404
        defect = services.defect_create(
            source_complaint=complaint,
            actor=request.user, project=project, title=v["title"], description=v["description"], source=v["source"],
            found_on=v["found_on"], series=v["series"], units=units, unit_types=v["unit_types"], location=v["location"],
            cause_analysis=v["cause_analysis"], households_affected=v["households_affected"], safety_risk=v["safety_risk"],
            complaint_risk=v["complaint_risk"], estimated_loss=v["estimated_loss"],
            responsible_department=v["responsible_department"], owner=owner, due_on=v["due_on"], tags=v["tags"],
        )
        return _detail(request, defect, code=status.HTTP_201_CREATED)


class DefectFromComplaintApi(APIView):
    """File the defect an owner complaint revealed; project, unit, text and date come from the complaint."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectFromComplaintInput"

        complaint = serializers.IntegerField()
        title = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
        description = serializers.CharField(required=False, default="", allow_blank=True)
        series = serializers.RegexField(r"^[A-Z]{1,6}$", required=False, default="SJ")
        location = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
        cause_analysis = serializers.CharField(required=False, default="", allow_blank=True)
        households_affected = serializers.IntegerField(min_value=0, max_value=100000, required=False, default=0)
        responsible_department = serializers.SlugRelatedField(
            slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True, default=None
        )
        owner = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        due_on = serializers.DateField(required=False, allow_null=True, default=None)
        tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False, default=list)

    @extend_schema(request=InputSerializer, responses={201: DefectDetailOutputSerializer,
                                                       404: OpenApiResponse(description="Complaint not found or outside scope.")},
                   operation_id="defects_create_from_complaint")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        complaint = complaint_get_for_action(actor=request.user, pk=v.pop("complaint"))
        owner_name = v.pop("owner")
        owner = None
        if owner_name:
            owner = selectors.staff_on_project(project=complaint.project, username=owner_name)
            if owner is None:
                raise serializers.ValidationError({"owner": [_("The responsible person does not work on this project.")]})
        defect = services.defect_create_from_complaint(actor=request.user, complaint=complaint, owner=owner, **v)
        return _detail(request, defect, code=status.HTTP_201_CREATED)


class DefectDetailApi(APIView):
    @extend_schema(responses={200: DefectDetailOutputSerializer}, operation_id="defects_retrieve")
    def get(self, request, pk):
        defect = selectors.defect_get(actor=request.user, pk=pk)
        return Response(DefectDetailOutputSerializer(defect, context={"request": request}).data)


class _DefectActionApi(APIView):
    """A workflow action: parse input, resolve the defect through scope, call the service."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectActionInput"

        note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)

    def call(self, *, defect, actor, **data):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        defect = selectors.defect_get_for_update(actor=request.user, pk=pk)
        self.call(defect=defect, actor=request.user, **data.validated_data)
        return _detail(request, defect)


def _action_schema(view_cls, summary: str):
    responses = {200: DefectDetailOutputSerializer, 400: OpenApiResponse(description="Invalid input."),
                 404: OpenApiResponse(description="Not found or outside scope."),
                 409: OpenApiResponse(description="Not allowed in the current status; nothing changed.")}
    name = view_cls.__name__.removeprefix("Defect").removesuffix("Api")

    # A function of its own per class: extend_schema annotates the function it decorates.
    def post(self, request, pk):
        return _DefectActionApi.post(self, request, pk)

    view_cls.post = extend_schema(request=view_cls.InputSerializer, responses=responses, summary=summary,
                                  operation_id=f"defects_{name.lower()}")(post)
    return view_cls


class DefectSubmitApi(_DefectActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectSubmitInput"

    def call(self, *, defect, actor):
        services.defect_submit_for_review(defect=defect, actor=actor)


class DefectDraftMeasuresApi(_DefectActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectDraftMeasuresInput"

        measures = serializers.CharField(max_length=5000)
        prevention = serializers.CharField(max_length=5000)
        due_on = serializers.DateField(required=False, allow_null=True, default=None)

    def call(self, *, defect, actor, measures, prevention, due_on):
        services.defect_draft_measures(defect=defect, actor=actor, measures=measures, prevention=prevention, due_on=due_on)


class DefectCompleteApi(_DefectActionApi):
    def call(self, *, defect, actor, note):
        services.defect_complete_rectification(defect=defect, actor=actor, note=note)


class DefectAcceptApi(_DefectActionApi):
    def call(self, *, defect, actor, note):
        services.defect_accept(defect=defect, actor=actor, note=note)


class DefectRefuseAcceptanceApi(_DefectActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectRefuseAcceptanceInput"

        reason = serializers.CharField(max_length=2000)

    def call(self, *, defect, actor, reason):
        services.defect_refuse_acceptance(defect=defect, actor=actor, reason=reason)


class DefectVerifyApi(_DefectActionApi):
    def call(self, *, defect, actor, note):
        services.defect_verify(defect=defect, actor=actor, note=note)


class DefectRejectApi(_DefectActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectRejectInput"

        reason = serializers.CharField(max_length=2000)
        due_on = serializers.DateField(required=False, allow_null=True, default=None)

    def call(self, *, defect, actor, reason, due_on):
        services.defect_reject_verification(defect=defect, actor=actor, reason=reason, due_on=due_on)


class DefectRecordCostApi(_DefectActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectRecordCostInput"

        cost = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
        note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)

    def call(self, *, defect, actor, cost, note):
        services.defect_record_cost(defect=defect, actor=actor, cost=cost, note=note)


class DefectReportToGmApi(_DefectActionApi):
    def call(self, *, defect, actor, note):
        services.defect_report_to_gm(defect=defect, actor=actor, note=note)


class DefectCloseApi(_DefectActionApi):
    def call(self, *, defect, actor, note):
        services.defect_close(defect=defect, actor=actor, note=note)


ACTIONS = {
    "submit": (DefectSubmitApi, "Put on the review agenda (reported → under_review)"),
    "draft-measures": (DefectDraftMeasuresApi, "Department drafts measures (A: → rectifying; B: recorded)"),
    "complete": (DefectCompleteApi, "Rectification done (rectifying → awaiting_acceptance)"),
    "accept": (DefectAcceptApi, "Department accepts its own work (→ accepted)"),
    "refuse-acceptance": (DefectRefuseAcceptanceApi, "Department refuses its own work (→ rectifying)"),
    "verify": (DefectVerifyApi, "Customer service verifies (accepted → verified; handbook entry)"),
    "reject": (DefectRejectApi, "Customer service rejects the verification with a reason (→ rectifying)"),
    "record-cost": (DefectRecordCostApi, "Cost department records the cost (verified → closed)"),
    "report-to-gm": (DefectReportToGmApi, "B: report to the GM office (graded → reported_to_gm; handbook entry)"),
    "close": (DefectCloseApi, "B: close after the GM office took note"),
}
for _cls, _summary in ACTIONS.values():
    _action_schema(_cls, _summary)


class DefectPhotoUploadApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DefectPhotoUploadInput"

        image = serializers.FileField()
        caption = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: DefectPhotoOutputSerializer},
                   operation_id="defects_photo_upload")
    def post(self, request, pk):
        defect = selectors.defect_get_for_update(actor=request.user, pk=pk)
        if photos.request_too_large(request._request):
            raise serializers.ValidationError({"image": [_("The photo is larger than 10 MB.")]})
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo = services.photo_add(defect=defect, actor=request.user, upload=data.validated_data["image"],
                                   caption=data.validated_data["caption"])
        return Response(DefectPhotoOutputSerializer(photo).data, status=status.HTTP_201_CREATED)


class DefectSummaryApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("project", str, description="Project code; all the caller's projects when absent.")],
        responses={200: OpenApiResponse(description="Counts by grade, status and age; overdue; prevention applied.")},
        operation_id="defects_summary",
    )
    def get(self, request):
        project = None
        code = request.query_params.get("project")
        if code:
            from estates.selectors import project_get

            project = project_get(actor=request.user, code=code)
        return Response(selectors.defect_project_summary(actor=request.user, project=project))


# ---------------------------------------------------------------- handbook


class HandbookEntryOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    tags = TagOutputSerializer(many=True, read_only=True)

    class Meta:
        model = HandbookEntry
        fields = ["id", "code", "title", "project", "grade", "problem", "causes", "impact", "prevention",
                  "responsible_departments", "found_on", "tags", "created_at"]


class HandbookListApi(generics.ListAPIView):
    serializer_class = HandbookEntryOutputSerializer
    filter_backends = []

    @extend_schema(parameters=[
        OpenApiParameter("search", str, description="Chinese or English text in the problem, causes or prevention."),
        OpenApiParameter("tag", int, description="Tag id."),
        OpenApiParameter("grade", str, enum=["A", "B"]),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        grade = params.get("grade", "")
        if grade and grade not in Defect.Grade.values:
            raise serializers.ValidationError({"grade": [_("The grade must be A or B.")]})
        return selectors.handbook_list(actor=self.request.user, search=params.get("search", ""), tag=params.get("tag"), grade=grade)
