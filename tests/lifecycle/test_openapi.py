"""The OpenAPI document: every route of the contract, every body with an example."""

from __future__ import annotations

from typing import Any

from api import examples
from domain.skp import DailyActivity, Feedback, ProgressReport, Ratings, SelfAssessment, Skp

from .conftest import Stack

CONTRACT = [
    ("get", "/v1/me/appraisals"), ("get", "/v1/appraisals"), ("post", "/v1/appraisals"),
    ("get", "/v1/appraisals/{appraisal_id}"), ("get", "/v1/appraisals/{appraisal_id}/events"),
    ("put", "/v1/appraisals/{appraisal_id}/targets"),
    ("post", "/v1/appraisals/{appraisal_id}/targets/submit"),
    ("post", "/v1/appraisals/{appraisal_id}/targets/return"),
    ("post", "/v1/appraisals/{appraisal_id}/targets/approve"),
    ("put", "/v1/appraisals/{appraisal_id}/targets/set"),
    ("post", "/v1/appraisals/{appraisal_id}/progress"),
    ("post", "/v1/appraisals/{appraisal_id}/activities"),
    ("post", "/v1/appraisals/{appraisal_id}/feedback"),
    ("post", "/v1/appraisals/{appraisal_id}/self-assessment"),
    ("post", "/v1/appraisals/{appraisal_id}/review"),
    ("post", "/v1/appraisals/{appraisal_id}/release"),
    ("post", "/v1/appraisals/{appraisal_id}/objection"),
    ("post", "/v1/appraisals/{appraisal_id}/objection/explanations"),
    ("post", "/v1/appraisals/{appraisal_id}/objection/decision"),
    ("post", "/v1/appraisals/{appraisal_id}/deadlines"),
    ("post", "/v1/appraisals/{appraisal_id}/cancel"),
]


def _has_example(document: dict[str, Any], content: dict[str, Any]) -> bool:
    media = content.get("application/json", {})
    if media.get("examples") or media.get("example"):
        return True
    schema = media.get("schema", {})
    ref = schema.get("$ref") or next(
        (s.get("$ref") for s in schema.get("anyOf", []) if "$ref" in s), None)
    if ref is None:
        return False
    component = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return bool(component.get("examples"))


async def test_every_route_of_the_contract_is_documented_with_examples(stack: Stack) -> None:
    document = (await stack.http.get("/openapi.json")).json()
    for method, path in CONTRACT:
        operation = document["paths"][path][method]
        assert operation.get("summary"), (method, path)
        assert "422" in operation["responses"] or method == "get", (method, path)
        body = operation.get("requestBody")
        if body is not None:
            assert _has_example(document, body["content"]), (method, path)


def test_examples_are_valid_bodies() -> None:
    Skp.model_validate(examples.SKP)
    ProgressReport.model_validate(examples.PROGRESS)
    DailyActivity.model_validate(examples.ACTIVITY)
    Feedback.model_validate(examples.FEEDBACK)
    SelfAssessment.model_validate(examples.SELF_ASSESSMENT)
    Ratings.model_validate(examples.REVIEW)


async def test_a_request_id_is_echoed_or_made_up(stack: Stack) -> None:
    given = await stack.http.get("/healthz", headers={"X-Request-Id": "req-from-client-1"})
    assert given.headers["X-Request-Id"] == "req-from-client-1"
    made_up = await stack.http.get("/v1/me/appraisals")  # a 401 carries one too
    assert made_up.status_code == 401
    assert len(made_up.headers["X-Request-Id"]) == 32
