"""One workflow per imported bank statement: match and post it, then a person decides each unmatched line."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from models.contracts.payments import ResolveLine, StatementImported, StatementInput
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskSpec
    from workflows import search_attributes as sa
    from workflows.payments.line_tasks import ACT, LineTasks

WORKFLOW_TYPE = "BankStatement"
TASK_KIND = "bank_line_unmatched"
ROLE = "controller"
OPTIONS = ["charge", "interest", "dismiss"]


@workflow.defn(name=WORKFLOW_TYPE)
class BankStatementWorkflow:
    """Workflow id `BankStatement-{entity}-{statement id}`, so a statement imported twice is posted once."""

    @workflow.init
    def __init__(self, inp: StatementInput) -> None:
        self.tasks: LineTasks[StatementImported] = LineTasks()

    @workflow.run
    async def run(self, inp: StatementInput) -> StatementImported:
        """Import, open a task per unmatched line, end when every one is decided."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("bank_statement"),
                sa.DOCUMENT_NUMBER.value_set(inp.statement_ref),
                sa.code_or(sa.ENTITY, str(inp.entity_id)),
            ]
        )
        imported = await workflow.execute_activity_method(PaymentActivities.import_statement, inp, **ACT)
        for line in imported.unmatched:
            await self.tasks.open(
                TaskSpec(
                    task_key=f"bank:{imported.statement_id}:line:{line.line_no}:unmatched",
                    kind=TASK_KIND,
                    workflow_id=inp.workflow_id,
                    workflow_type=WORKFLOW_TYPE,
                    subject_type="bank_statement",
                    subject_id=inp.statement_ref,
                    entity_id=inp.entity_id,
                    title=f"Statement {inp.statement_ref} line {line.line_no}: {line.amount} {line.currency}"
                    " matches nothing",
                    candidate_role=ROLE,
                    options=OPTIONS,
                    details={"line_no": line.line_no, "reason": line.reason},
                ),
                line.line_no,
            )
        return await self.tasks.wait_all_decided(
            imported,
            f"Statement {inp.statement_ref}: {len(imported.unmatched)} lines match nothing and wait on {ROLE}",
        )

    @workflow.update
    async def imported(self) -> StatementImported:
        """Read-only: the statement once imported (the API answers the import with it)."""
        return await self.tasks.imported()

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Book the line as a bank charge or interest, or dismiss it (a person found it elsewhere)."""
        statement_id = self.tasks.answered().statement_id

        async def resolve(line_no: int) -> None:
            await workflow.execute_activity_method(
                PaymentActivities.resolve_line,
                ResolveLine(
                    statement_id=statement_id, line_no=line_no, decision=req.decision, actor=req.actor
                ),
                **ACT,
            )

        return await self.tasks.decide(req, resolve)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        self.tasks.check(req)
