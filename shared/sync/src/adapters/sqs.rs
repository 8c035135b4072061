//! A queue of work to finish later ([`WorkQueue`], SQS SendMessageBatch, ten messages a call): what a
//! function acknowledged but did not do yet (crm-inbound: verified HubSpot calls, records left when the
//! invocation's deadline came near). The function that drains it deletes a message only once its work is
//! done (partial batch responses), so nothing put here is lost.

use super::classify;
use crate::ports::error::PortError;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, SendMessageBatchRequestEntry};

/// The most acebridge puts in one message: 256 KiB, the smallest message size limit an SQS queue has had
/// (SendMessageBatch also caps a call's messages at 1 MiB together). Callers keep bodies far smaller.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// An SQS queue acebridge puts work on.
#[derive(Debug, Clone)]
pub struct WorkQueue {
    client: Client,
    url: String,
}

impl WorkQueue {
    /// The queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        WorkQueue {
            client,
            url: url.into(),
        }
    }

    /// Puts each body as one message, ten a call (SendMessageBatch's limit). Fails (retryable) unless
    /// SQS took every message; a body over SQS's size limit is refused before anything is sent.
    pub async fn send_all(&self, bodies: &[String]) -> Result<(), PortError> {
        if let Some(big) = bodies.iter().find(|b| b.len() > MAX_MESSAGE_BYTES) {
            return Err(PortError::permanent(
                "sqs",
                format!(
                    "SendMessageBatch: a message of {} bytes is over SQS's {MAX_MESSAGE_BYTES}",
                    big.len()
                ),
            ));
        }
        for chunk in bodies.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (n, body) in chunk.iter().enumerate() {
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| PortError::permanent("sqs", e.to_string()))?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| classify("sqs", "SendMessageBatch", e))?;
            if !out.failed.is_empty() {
                return Err(PortError::retryable(
                    "sqs",
                    format!(
                        "SendMessageBatch: {} of {} messages failed ({})",
                        out.failed.len(),
                        chunk.len(),
                        out.failed
                            .iter()
                            .map(|f| f.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Makes received messages (by receipt handle) visible again after `seconds` instead of the queue's
    /// visibility timeout, ten a call (ChangeMessageVisibilityBatch). The caller then reports them as
    /// batch item failures, so they come again soon (crm-outbound's held records, `crm_queue::Settle`).
    pub async fn hand_back(&self, receipts: &[String], seconds: i32) -> Result<(), PortError> {
        for chunk in receipts.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (n, receipt) in chunk.iter().enumerate() {
                entries.push(
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(n.to_string())
                        .receipt_handle(receipt)
                        .visibility_timeout(seconds)
                        .build()
                        .map_err(|e| PortError::permanent("sqs", e.to_string()))?,
                );
            }
            let out = self
                .client
                .change_message_visibility_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| classify("sqs", "ChangeMessageVisibilityBatch", e))?;
            if !out.failed.is_empty() {
                return Err(PortError::retryable(
                    "sqs",
                    format!(
                        "ChangeMessageVisibilityBatch: {} of {} messages failed",
                        out.failed.len(),
                        chunk.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}
