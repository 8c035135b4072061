//! [`Outcomes`] on an EventBridge bus (PutEvents, 10 entries a call).

use super::classify;
use crate::error::PortError;
use crate::outcomes::{Outcome, Outcomes, SOURCE};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

/// acebridge's bus.
#[derive(Debug, Clone)]
pub struct EventBus {
    client: Client,
    bus: String,
}

impl EventBus {
    /// The bus named `bus`.
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        EventBus {
            client,
            bus: bus.into(),
        }
    }
}

impl Outcomes for EventBus {
    async fn publish(&self, events: &[Outcome]) -> Result<(), PortError> {
        for chunk in events.chunks(10) {
            let entries = chunk
                .iter()
                .map(|o| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(o.detail_type)
                        .detail(o.detail.to_string())
                        .build()
                })
                .collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| classify("eventbridge", "PutEvents", e))?;
            if out.failed_entry_count() > 0 {
                return Err(PortError::retryable(
                    "eventbridge",
                    format!(
                        "PutEvents: {} of {} entries failed",
                        out.failed_entry_count(),
                        chunk.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}
