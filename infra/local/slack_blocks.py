"""What Slack's own Python SDK (slack_sdk, PyPI `slack-sdk`) refuses in a message acebridge posts: each block is
built into slack_sdk's Block Kit models, which must know its type, pass `validate_json()` (Slack's documented
limits) and keep it as sent; and the message limits Slack documents but the models do not check (50 blocks a
message: Slack, "Blocks" reference; a notification `text`). Used by tests/contract/notices.py and the demo's
local Slack (infra/local/chat_receiver.py).
"""
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

# Slack, "Blocks" (docs.slack.dev/reference/block-kit/blocks): up to 50 blocks in each message.
SLACK_MAX_BLOCKS = 50


def slack_problems(body):
    """What is wrong with one chat.postMessage (or incoming webhook) body; empty when Slack would take it."""
    problems = []
    blocks = body.get("blocks", [])
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("no text (the notification and fallback)")
    if len(blocks) > SLACK_MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, over {SLACK_MAX_BLOCKS}")
    for i, b in enumerate(blocks):
        parsed = Block.parse(b)
        if parsed is None or type(parsed) is Block:
            problems.append(f"block {i}: not a block type slack_sdk knows ({b.get('type')})")
            continue
        try:
            parsed.validate_json()
        except SlackObjectFormationError as e:
            problems.append(f"block {i} ({b.get('type')}): {e}")
            continue
        if parsed.to_dict() != b:
            problems.append(f"block {i} ({b.get('type')}): slack_sdk does not keep it as sent")
    return problems
