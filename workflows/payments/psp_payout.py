"""One workflow per PSP payout report: post the lines that match, then a person decides each difference."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from models.contracts.payments import PayoutDifference, PayoutImported, PayoutInput, ResolvePayoutLine
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskSpec
    from workflows import search_attributes as sa
    from workflows.payments.line_tasks import ACT, LineTasks

WORKFLOW_TYPE = "PspPayout"
TASK_KIND = "psp_payout_difference"
ROLE = "controller"


def _options(line: PayoutDifference) -> list[str]:
    """Only a difference on an order that still holds money in clearing can be accepted."""
    return ["accept", "dismiss"] if line.status == "difference" and (line.held or 0) > 0 else ["dismiss"]


@workflow.defn(name=WORKFLOW_TYPE)
class PspPayoutWorkflow:
    """Workflow id `PspPayout-{channel}-{payout id}`, so a payout reported twice is posted once."""

    @workflow.init
    def __init__(self, inp: PayoutInput) -> None:
        self.tasks: LineTasks[PayoutImported] = LineTasks()

    @workflow.run
    async def run(self, inp: PayoutInput) -> PayoutImported:
        """Import, open a task per line that differs, end when every one is decided."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("psp_payout"),
                sa.DOCUMENT_NUMBER.value_set(inp.payout_ref),
                sa.code_or(sa.ENTITY, str(inp.entity_id)),
            ]
        )
        imported = await workflow.execute_activity_method(PaymentActivities.import_payout, inp, **ACT)
        for line in imported.differences:
            await self.tasks.open(
                TaskSpec(
                    task_key=f"psp:{imported.payout_id}:line:{line.line_no}:{line.status}",
                    kind=TASK_KIND,
                    workflow_id=inp.workflow_id,
                    workflow_type=WORKFLOW_TYPE,
                    subject_type="psp_payout",
                    subject_id=inp.payout_ref,
                    entity_id=inp.entity_id,
                    title=f"Payout {inp.payout_ref} line {line.line_no}: {line.reason}",
                    candidate_role=ROLE,
                    options=_options(line),
                    details={
                        "line_no": line.line_no,
                        "order_number": line.order_number,
                        "status": line.status,
                    },
                ),
                line.line_no,
            )
        return await self.tasks.wait_all_decided(
            imported, f"Payout {inp.payout_ref}: {len(imported.differences)} lines differ and wait on {ROLE}"
        )

    @workflow.update
    async def imported(self) -> PayoutImported:
        """Read-only: the payout once imported (the API answers the import with it)."""
        return await self.tasks.imported()

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Accept the line (post it; the rest against what the order held goes to provider fees) or dismiss."""
        payout_id = self.tasks.answered().payout_id

        async def resolve(line_no: int) -> None:
            await workflow.execute_activity_method(
                PaymentActivities.resolve_payout_line,
                ResolvePayoutLine(
                    payout_id=payout_id, line_no=line_no, decision=req.decision, actor=req.actor
                ),
                **ACT,
            )

        return await self.tasks.decide(req, resolve)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        self.tasks.check(req)
