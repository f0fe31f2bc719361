"""A client generated from the OpenAPI document by openapi-python-client, against the mock.

Run by `cargo xtask python-client`, which generates the `mulerouter_kling_client` package,
starts the standalone mock and sets MULEROUTER_BASE_URL. Only the generated client is used:
its models, its operations and the httpx client it wraps.
"""

import os
import uuid

import httpx
import pytest

from mulerouter_kling_client import AuthenticatedClient, Client
from mulerouter_kling_client.api.reference_video_to_video import create_generation, get_generation
from mulerouter_kling_client.models import (
    ApiError,
    AspectRatio,
    CreateGenerationRequest,
    ImageElement,
    ImageElementType,
    Mode,
    TaskResponse,
    VideoElement,
    VideoElementType,
)
from mulerouter_kling_client.types import Unset

# A key of the documented shape: `sk-mr-` and 64 hex digits.
TOKEN = "sk-mr-" + "0123456789abcdef" * 4
FINISHED = {"completed", "succeeded", "failed"}
# The mock advances a task one step per read; a handful of reads finishes it.
MAX_POLLS = 20

# The document's request examples (`minimal` and `full`), as written there.
MINIMAL_EXAMPLE = {
    "prompt": "Transform the video into an animated painting style with vibrant colors",
    "video": "https://example.com/source-video.mp4",
}
FULL_EXAMPLE = {
    "prompt": "The dancer from <<<element_1>>> performs in the street from <<<element_2>>>, cinematic lighting",
    "video": "https://example.com/source-video.mp4",
    "negative_prompt": "blurry, low quality, watermark",
    "keep_audio": True,
    "elements": [
        {
            "type": "image",
            "frontal_image": "https://example.com/dancer-front.png",
            "reference_images": [
                "https://example.com/dancer-side.png",
                "https://example.com/dancer-back.png",
            ],
        },
        {"type": "video", "reference_videos": ["https://example.com/street.mp4"]},
    ],
    "mode": "std",
    "aspect_ratio": "16:9",
    "duration": 10,
}


@pytest.fixture
def base_url() -> str:
    url = os.environ.get("MULEROUTER_BASE_URL")
    if not url:
        pytest.fail("MULEROUTER_BASE_URL is not set; run `cargo xtask python-client`")
    return url


@pytest.fixture
def client(base_url: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base_url, token=TOKEN, raise_on_unexpected_status=True)


def full_request() -> CreateGenerationRequest:
    return CreateGenerationRequest(
        prompt=FULL_EXAMPLE["prompt"],
        video="https://example.com/source-video.mp4",
        negative_prompt="blurry, low quality, watermark",
        keep_audio=True,
        elements=[
            ImageElement(
                type_=ImageElementType.IMAGE,
                frontal_image="https://example.com/dancer-front.png",
                reference_images=[
                    "https://example.com/dancer-side.png",
                    "https://example.com/dancer-back.png",
                ],
            ),
            VideoElement(
                type_=VideoElementType.VIDEO,
                reference_videos=["https://example.com/street.mp4"],
            ),
        ],
        mode=Mode.STD,
        aspect_ratio=AspectRatio.RATIO_16_9,
        duration=10,
    )


def create_and_wait(client: AuthenticatedClient, body: CreateGenerationRequest) -> TaskResponse:
    """Creates a task and reads it back until it is finished."""
    created = create_generation.sync_detailed(client=client, body=body)
    assert created.status_code in (200, 202), created.content
    assert isinstance(created.parsed, TaskResponse)
    task_id = created.parsed.task_info.id
    for _ in range(MAX_POLLS):
        task = get_generation.sync(task_id=task_id, client=client)
        assert isinstance(task, TaskResponse), task
        if task.task_info.status in FINISHED:
            return task
    pytest.fail(f"task {task_id} did not finish within {MAX_POLLS} reads")


def assert_is_mp4(client: AuthenticatedClient, url: str) -> None:
    answer = client.get_httpx_client().get(url)
    assert answer.status_code == 200
    # An MP4 (ISO base media file) starts with a box whose type is `ftyp`.
    assert answer.content[4:8] == b"ftyp", answer.content[:16]


def test_the_minimal_example_creates_a_task_that_completes_with_an_mp4(client):
    # Arrange
    request = CreateGenerationRequest(**MINIMAL_EXAMPLE)

    # Act
    task = create_and_wait(client, request)

    # Assert
    assert task.task_info.status in ("completed", "succeeded")
    assert isinstance(task.task_info.error, Unset)  # absent, as on a task that did not fail
    assert len(task.videos) >= 1
    assert_is_mp4(client, task.videos[0])


def test_the_full_example_is_built_from_named_models_and_completes_with_an_mp4(client):
    # Arrange
    request = full_request()

    # Act
    sent = request.to_dict()
    task = create_and_wait(client, request)

    # Assert
    assert sent == FULL_EXAMPLE
    assert task.task_info.status in ("completed", "succeeded")
    assert_is_mp4(client, task.videos[0])


def test_mode_is_not_sent_unless_it_is_set():
    # Arrange
    request = CreateGenerationRequest(**MINIMAL_EXAMPLE)

    # Act
    sent = request.to_dict()

    # Assert: the service's default (pro) applies; the client does not pick one.
    assert "mode" not in sent


def test_a_null_aspect_ratio_is_sent_as_null_and_accepted(client):
    # Arrange
    request = CreateGenerationRequest(**MINIMAL_EXAMPLE, aspect_ratio=None)

    # Act
    sent = request.to_dict()
    created = create_generation.sync_detailed(client=client, body=request)

    # Assert
    assert sent["aspect_ratio"] is None
    assert created.status_code in (200, 202), created.content


def test_a_null_frontal_image_is_sent_as_null_and_accepted(client):
    # Arrange
    element = ImageElement(
        type_=ImageElementType.IMAGE,
        frontal_image=None,
        reference_images=["https://example.com/dancer-side.png"],
    )
    request = CreateGenerationRequest(**MINIMAL_EXAMPLE, elements=[element])

    # Act
    sent = request.to_dict()
    created = create_generation.sync_detailed(client=client, body=request)

    # Assert
    assert sent["elements"][0]["frontal_image"] is None
    assert created.status_code in (200, 202), created.content


def test_a_create_that_breaks_a_rule_is_parsed_into_the_error_model(client):
    # Arrange: the generated client does not check `maximum`; the service does.
    request = CreateGenerationRequest(**MINIMAL_EXAMPLE, duration=99)

    # Act
    answer = create_generation.sync_detailed(client=client, body=request)

    # Assert
    assert answer.status_code == 400
    error = answer.parsed
    assert isinstance(error, ApiError)
    assert error.task_info.status == "failed"
    assert error.task_info.error.code == 2001
    assert [(v.pointer, v.rule) for v in error.violations] == [("/duration", "maximum")]


def test_a_create_without_a_token_is_401_parsed_into_the_error_model(base_url):
    # Arrange
    anonymous = Client(base_url=base_url)

    # Act
    answer = create_generation.sync_detailed(
        client=anonymous, body=CreateGenerationRequest(**MINIMAL_EXAMPLE)
    )

    # Assert
    assert answer.status_code == 401
    assert isinstance(answer.parsed, ApiError)
    assert answer.parsed.detail


def test_an_unknown_task_is_404_parsed_into_the_error_model(client):
    # Act
    answer = get_generation.sync_detailed(task_id=uuid.uuid4(), client=client)

    # Assert
    assert answer.status_code == 404
    assert isinstance(answer.parsed, ApiError)
    assert answer.parsed.detail.startswith("Task not found")


def test_a_rate_limited_answer_is_parsed_and_says_when_to_retry(client):
    # Arrange
    limited = client.with_headers({"Prefer": "code=429, retry-after=3"})

    # Act
    answer = get_generation.sync_detailed(task_id=uuid.uuid4(), client=limited)

    # Assert
    assert answer.status_code == 429
    assert isinstance(answer.parsed, ApiError)
    assert int(answer.headers["Retry-After"]) == 3


class ProxyError(Exception):
    """A non-JSON error answer, such as a proxy's HTML 502 page."""

    def __init__(self, status_code: int, body: str):
        super().__init__(f"HTTP {status_code} with a non-JSON body")
        self.status_code = status_code
        self.body = body


def raise_on_non_json_error(response: httpx.Response) -> None:
    """An httpx response hook: the generated client parses every 5xx as JSON (see
    openapi/README.md), so a non-JSON error is raised here with its status first."""
    content_type = response.headers.get("content-type", "")
    if response.status_code >= 400 and not content_type.startswith("application/json"):
        response.read()
        raise ProxyError(response.status_code, response.text)


def test_a_proxy_html_page_fails_to_parse_in_the_generated_client(client):
    # Arrange
    proxied = client.with_headers({"Prefer": "code=502, body=html"})

    # Act / Assert: the limitation the README records; if this starts to pass, update it.
    with pytest.raises(ValueError):
        get_generation.sync_detailed(task_id=uuid.uuid4(), client=proxied)


def test_a_response_hook_gets_the_status_of_a_proxy_html_page(base_url):
    # Arrange
    proxied = AuthenticatedClient(
        base_url=base_url,
        token=TOKEN,
        headers={"Prefer": "code=502, body=html"},
        httpx_args={"event_hooks": {"response": [raise_on_non_json_error]}},
    )

    # Act
    with pytest.raises(ProxyError) as caught:
        get_generation.sync_detailed(task_id=uuid.uuid4(), client=proxied)

    # Assert
    assert caught.value.status_code == 502
    assert "<html" in caught.value.body.lower()


def task_json(**overrides) -> dict:
    task_info = {
        "id": "8e1e315e-b50d-4334-a231-be7d19a372f4",
        "status": "pending",
        "created_at": "2026-03-03T00:00:00Z",
        "updated_at": "2026-03-03T00:00:12.657134+00:00",
    }
    task_info.update(overrides)
    return {"task_info": task_info}


def test_a_task_with_a_status_the_document_does_not_list_parses():
    # Act
    task = TaskResponse.from_dict(task_json(status="cancelled"))

    # Assert
    assert task.task_info.status == "cancelled"


def test_a_task_whose_error_is_null_parses():
    # Act
    task = TaskResponse.from_dict(task_json(status="processing", error=None))

    # Assert
    assert task.task_info.error is None


def test_a_rejected_request_whose_error_is_null_parses():
    # Act
    error = ApiError.from_dict({"task_info": {"status": "failed", "error": None}})

    # Assert
    assert error.task_info.error is None
