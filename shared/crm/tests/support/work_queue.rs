//! crm-inbound's work queue on moto's SQS, delivered to the function's handler as Lambda's SQS event
//! source does it: up to ten messages an event, and only the messages the partial batch response does not
//! name as failed are deleted. Shared by the inbound tests and `make bench-inbound`.

use acebridge_sync::adapters::sqs::WorkQueue;
use aws_sdk_sqs::Client;
use serde_json::{Value, json};

/// A new queue named `name` (messages come back at once when not deleted: visibility timeout 0).
pub async fn create(sdk: &aws_config::SdkConfig, name: &str) -> (WorkQueue, String) {
    let sqs = Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "0",
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (WorkQueue::new(sqs, url.clone()), url)
}

/// One delivery: the SQS event for Lambda (None when the queue is empty) and the receipt of each message.
pub async fn receive(
    sdk: &aws_config::SdkConfig,
    url: &str,
) -> Option<(Value, Vec<(String, String)>)> {
    let got = Client::new(sdk)
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = got.messages.unwrap_or_default();
    if messages.is_empty() {
        return None;
    }
    let records: Vec<Value> = messages
        .iter()
        .map(|m| json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                        "eventSource": "aws:sqs", "awsRegion": "us-east-1", "attributes": {},
                        "messageAttributes": {}, "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:work"}))
        .collect();
    let receipts = messages
        .into_iter()
        .map(|m| (m.message_id.unwrap(), m.receipt_handle.unwrap()))
        .collect();
    Some((json!({ "Records": records }), receipts))
}

/// Deletes the messages `answer` (a partial batch response) does not name as failed; returns how many
/// it names.
pub async fn ack(
    sdk: &aws_config::SdkConfig,
    url: &str,
    receipts: &[(String, String)],
    answer: &Value,
) -> usize {
    let failed: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    let sqs = Client::new(sdk);
    for (id, receipt) in receipts {
        if !failed.contains(&id.as_str()) {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(receipt)
                .send()
                .await
                .unwrap();
        }
    }
    failed.len()
}
