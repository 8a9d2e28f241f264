"""``DocumentZipWorkflow``: one per requested ZIP of a cycle's or a unit's documents. It
plans the items once, then has them written batch after batch into the archive on disk
(each batch resumes where the recorded items end, so a worker restarted in the middle
writes nothing twice), then writes the central directory. Progress lives in the table
(``document_zips``), which the pages poll."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.documents import DocumentZipActivities
    from workflows.document_zip.contract import ZipBatch

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30), maximum_attempts=20)


@workflow.defn
class DocumentZipWorkflow:
    @workflow.run
    async def run(self, zip_id: str) -> int:
        try:
            total = await workflow.execute_activity_method(
                DocumentZipActivities.plan_document_zip, zip_id,
                start_to_close_timeout=timedelta(minutes=5), retry_policy=RETRY)
            done = -1
            while done < total:
                progress = await workflow.execute_activity_method(
                    DocumentZipActivities.write_document_zip, ZipBatch(zip_id=zip_id),
                    start_to_close_timeout=timedelta(minutes=30),
                    heartbeat_timeout=timedelta(seconds=60), retry_policy=RETRY,
                    summary="write documents")
                done = progress.done
            return await workflow.execute_activity_method(
                DocumentZipActivities.finish_document_zip, zip_id,
                start_to_close_timeout=timedelta(minutes=10), retry_policy=RETRY)
        except ActivityError:
            await workflow.execute_activity_method(
                DocumentZipActivities.fail_document_zip, zip_id,
                start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY)
            raise
