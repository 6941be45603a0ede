"""REST endpoints: waves, invitations, results (scoped), touch-point triggers, and the owners' survey.

The owners' endpoints take no login: the signed invitation token in the path is the only key,
and without a valid one they answer 404 (410 once it has expired) and accept nothing.
"""

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from estates.access import get_in_scope_or_404
from estates.models import Contract
from estates.selectors import project_get
from estates.serializers import MaskedPhoneField, ProjectRefField

from . import selectors, services
from .models import Invitation, Question, SurveyTemplate, Wave
from .tokens import TokenExpired, TokenInvalid, read_token
from .views import is_manager

# --- waves --------------------------------------------------------------------------------------


class WaveOutputSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)

    class Meta:
        model = Wave
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "template",
            "template_version",
            "trigger",
            "offset_months",
            "offset_days",
            "window_days",
            "channel",
            "reminder_interval_days",
            "reminder_max",
            "cooldown_days",
            "low_score_threshold",
            "is_active",
            "order",
        ]


class WaveInputSerializer(serializers.Serializer):
    """Plain integers so that a negative offset reaches the service and comes back as a 400 from it."""

    name = serializers.CharField(max_length=120, required=False)
    name_en = serializers.CharField(max_length=120, required=False, allow_blank=True)
    template = serializers.SlugRelatedField(
        slug_field="code", queryset=SurveyTemplate.objects.filter(is_current=True), required=False
    )
    trigger = serializers.ChoiceField(choices=Wave.Trigger.choices, required=False)
    offset_months = serializers.IntegerField(required=False, max_value=600)
    offset_days = serializers.IntegerField(required=False, max_value=3650)
    window_days = serializers.IntegerField(required=False, max_value=365)
    channel = serializers.ChoiceField(choices=Wave.channel.field.choices, required=False)
    reminder_interval_days = serializers.IntegerField(required=False, max_value=365)
    reminder_max = serializers.IntegerField(required=False, max_value=20)
    cooldown_days = serializers.IntegerField(required=False, max_value=3650)
    low_score_threshold = serializers.IntegerField(required=False)
    is_active = serializers.BooleanField(required=False)
    order = serializers.IntegerField(required=False, min_value=0, max_value=1000)


class WaveFilter(django_filters.FilterSet):
    trigger = django_filters.ChoiceFilter(choices=Wave.Trigger.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Wave
        fields = ["trigger", "is_active"]


def _require_manager(user):
    if not is_manager(user):
        raise PermissionDenied


class WaveListCreateApi(generics.ListAPIView):
    """Survey waves (a group-wide catalogue). POST creates one (customer-relations managers)."""

    serializer_class = WaveOutputSerializer
    filterset_class = WaveFilter

    def get_queryset(self):
        return selectors.wave_list()

    class CreateSerializer(WaveInputSerializer):
        code = serializers.SlugField(max_length=40)
        name = serializers.CharField(max_length=120)
        template = serializers.SlugRelatedField(slug_field="code", queryset=SurveyTemplate.objects.filter(is_current=True))
        trigger = serializers.ChoiceField(choices=Wave.Trigger.choices)

        def validate_code(self, value):
            if Wave.objects.filter(code=value).exists():
                raise serializers.ValidationError("A wave with this code exists.")
            return value

    @extend_schema(
        request=CreateSerializer, responses={201: WaveOutputSerializer, 400: OpenApiResponse(description="Invalid values.")}
    )
    def post(self, request):
        _require_manager(request.user)
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        wave = services.wave_create(actor=request.user, code=values.pop("code"), **values)
        return Response(WaveOutputSerializer(wave).data, status=status.HTTP_201_CREATED)


class WaveDetailApi(APIView):
    @extend_schema(responses=WaveOutputSerializer)
    def get(self, request, pk):
        return Response(WaveOutputSerializer(selectors.wave_get(pk=pk)).data)

    @extend_schema(
        request=WaveInputSerializer, responses={200: WaveOutputSerializer, 400: OpenApiResponse(description="Invalid values.")}
    )
    def patch(self, request, pk):
        _require_manager(request.user)
        wave = selectors.wave_get(pk=pk)
        data = WaveInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        wave = services.wave_update(wave=wave, actor=request.user, **data.validated_data)
        return Response(WaveOutputSerializer(wave).data)


# --- invitations --------------------------------------------------------------------------------


class InvitationOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    wave = serializers.SlugRelatedField(slug_field="code", read_only=True)
    contract = serializers.CharField(source="contract.external_id", read_only=True)
    unit = serializers.CharField(source="contract.unit.number", read_only=True)
    customer = serializers.CharField(source="customer.external_id", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_phone = MaskedPhoneField(source="customer.phone", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "project",
            "wave",
            "contract",
            "unit",
            "customer",
            "customer_name",
            "customer_phone",
            "status",
            "skip_reason",
            "channel",
            "due_on",
            "closes_on",
            "sent_at",
            "reminder_count",
            "next_reminder_at",
            "responded_at",
            "closed_at",
            "template_id",
        ]


class InvitationFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    wave = django_filters.CharFilter(field_name="wave__code")
    status = django_filters.ChoiceFilter(choices=Invitation.Status.choices)
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(fields=(("due_on", "due_on"), ("sent_at", "sent_at")))

    class Meta:
        model = Invitation
        fields = ["project", "wave", "status"]


class InvitationListApi(generics.ListAPIView):
    """Invitations in the caller's projects, with status."""

    serializer_class = InvitationOutputSerializer
    filterset_class = InvitationFilter

    def get_queryset(self):
        return selectors.invitation_list(actor=self.request.user)


class InvitationDetailApi(generics.RetrieveAPIView):
    serializer_class = InvitationOutputSerializer

    def get_object(self):
        return selectors.invitation_get(actor=self.request.user, pk=self.kwargs["pk"])


# --- results ------------------------------------------------------------------------------------


ScoreRowSerializer = inline_serializer(
    "SatisfactionScoreRow",
    fields={
        "key": serializers.CharField(allow_null=True),
        "label": serializers.CharField(),
        "responses": serializers.IntegerField(),
        "sent": serializers.IntegerField(allow_null=True),
        "response_rate": serializers.FloatField(allow_null=True),
        "satisfaction_index": serializers.FloatField(allow_null=True),
        "share_satisfied": serializers.FloatField(allow_null=True),
        "recommend_score": serializers.FloatField(allow_null=True),
        "repurchase_intent": serializers.FloatField(allow_null=True),
    },
)


class ResultsApi(APIView):
    """Satisfaction index (0–100), share satisfied (0–1), recommend score (promoters − detractors,
    −100…100), repurchase intent (0–1) and response rate (0–1), grouped as asked."""

    class FilterSerializer(serializers.Serializer):
        group_by = serializers.ChoiceField(choices=selectors.GROUPINGS, default="wave")
        project = serializers.CharField(required=False)
        wave = serializers.CharField(required=False)
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        group_by = serializers.CharField()
        headline = ScoreRowSerializer
        rows = serializers.ListField(child=ScoreRowSerializer)

        class Meta:
            ref_name = "SatisfactionResults"

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", enum=list(selectors.GROUPINGS)),
            OpenApiParameter("project", description="Project code"),
            OpenApiParameter("wave", description="Wave code"),
            OpenApiParameter("date_from", type=str),
            OpenApiParameter("date_to", type=str),
        ],
        responses=OutputSerializer,
    )
    def get(self, request):
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        project = project_get(actor=request.user, code=data["project"]) if data.get("project") else None
        wave = None
        if data.get("wave"):
            wave = selectors.wave_list().filter(code=data["wave"]).first()
            if wave is None:
                raise Http404
        filters = {"project": project, "wave": wave, "date_from": data.get("date_from"), "date_to": data.get("date_to")}
        rows = selectors.scores(actor=request.user, group_by=data["group_by"], **filters)
        headline = selectors.headline(actor=request.user, **filters)
        return Response(
            {
                "group_by": data["group_by"],
                "headline": headline.as_dict(),
                "rows": [{**r.as_dict(), "key": None if r.key is None else str(r.key)} for r in rows],
            }
        )


# --- triggers -----------------------------------------------------------------------------------


class TriggerCreateApi(APIView):
    """Record a touch point (pre-sale reception, frame-completion or finished-home visit, closed
    complaint) for a contract's owners; event-triggered waves survey them from the next daily run."""

    class InputSerializer(serializers.Serializer):
        contract = serializers.CharField(max_length=64, help_text="Contract external_id")
        kind = serializers.ChoiceField(choices=[c for c in Wave.Trigger.choices if c[0] != Wave.Trigger.HANDOVER])
        occurred_on = serializers.DateField()
        source_ref = serializers.CharField(max_length=80)

        class Meta:
            ref_name = "SatisfactionTriggerInput"

    class OutputSerializer(serializers.Serializer):
        recorded = serializers.IntegerField()

        class Meta:
            ref_name = "SatisfactionTriggerOutput"

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 200: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        # A contract outside the caller's projects is a 404, like any object out of scope.
        contract = get_in_scope_or_404(Contract.objects.all(), request.user, external_id=v["contract"])
        recorded = services.trigger_record(
            kind=v["kind"], contract=contract, occurred_on=v["occurred_on"], source_ref=v["source_ref"]
        )
        return Response({"recorded": recorded}, status=status.HTTP_201_CREATED if recorded else status.HTTP_200_OK)


# --- the owners' survey (no login) --------------------------------------------------------------


class PublicQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["key", "order", "kind", "dimension", "text", "text_en", "choices", "required"]


def _invitation_for(token: str) -> Invitation:
    try:
        data = read_token(token)
    except TokenExpired:
        raise _Gone from None
    except TokenInvalid:
        raise Http404 from None
    invitation = selectors.invitation_for_token(invitation_id=data.invitation_id)
    if invitation is None or invitation.closes_on != data.closes_on:
        raise Http404
    return invitation


class _Gone(Exception):
    pass


class PublicSurveyApi(APIView):
    """GET the questions of the invitation the token names; POST the answers, once.

    A second POST answers 200 with the first response's status and changes nothing.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        wave = serializers.CharField()
        project = serializers.CharField()
        closes_on = serializers.DateField()
        questions = PublicQuestionSerializer(many=True)

        class Meta:
            ref_name = "SatisfactionPublicSurvey"

    class InputSerializer(serializers.Serializer):
        answers = serializers.DictField(child=serializers.JSONField(), allow_empty=False)

        class Meta:
            ref_name = "SatisfactionPublicAnswers"

    def _resolve(self, token):
        try:
            return _invitation_for(token), None
        except _Gone:
            return None, Response({"detail": "This survey has closed."}, status=status.HTTP_410_GONE)

    @extend_schema(
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="Invalid token."),
            410: OpenApiResponse(description="Expired token."),
        },
        auth=[],
    )
    def get(self, request, token):
        invitation, gone = self._resolve(token)
        if gone:
            return gone
        return Response(
            {
                "status": invitation.status,
                "wave": invitation.wave.name,
                "project": invitation.project.name,
                "closes_on": invitation.closes_on,
                "questions": PublicQuestionSerializer(invitation.template.questions.all(), many=True).data,
            }
        )

    @extend_schema(
        request=InputSerializer,
        auth=[],
        responses={
            201: inline_serializer("SurveySubmitted", fields={"status": serializers.CharField()}),
            200: OpenApiResponse(description="Already answered; nothing changed."),
            400: OpenApiResponse(description="Per-question errors, keyed by question key."),
            404: OpenApiResponse(description="Invalid token."),
            409: OpenApiResponse(description="The invitation is closed."),
            410: OpenApiResponse(description="Expired token."),
        },
    )
    def post(self, request, token):
        invitation, gone = self._resolve(token)
        if gone:
            return gone
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            _response, created = services.response_submit(invitation=invitation, answers=data.validated_data["answers"])
        except services.SurveyInvalid as exc:
            return Response({"answers": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        except services.InvitationClosed:
            return Response({"detail": "This survey is no longer open."}, status=status.HTTP_409_CONFLICT)
        return Response({"status": "responded"}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
