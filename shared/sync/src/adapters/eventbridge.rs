//! [`Outcomes`] on an EventBridge bus (PutEvents, 10 entries a call).

use super::classify;
use crate::ports::error::PortError;
use crate::ports::outcomes::{Outcome, Outcomes, SOURCE};
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

impl EventBus {
    /// Puts events of `source` (detail-type, detail) on the bus, ten a call.
    pub async fn put(
        &self,
        source: &str,
        events: &[(&str, serde_json::Value)],
    ) -> Result<(), PortError> {
        // Ten entries a call (PutEvents' limit), the calls in parallel: EventBridge keeps no order
        // between calls anyway, and a batch of 100 changes is 10 calls instead of 10 round trips.
        let mut calls = Vec::new();
        for chunk in events.chunks(10) {
            let entries = chunk
                .iter()
                .map(|(detail_type, detail)| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(source)
                        .detail_type(*detail_type)
                        .detail(detail.to_string())
                        .build()
                })
                .collect();
            calls.push(async move {
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
                Ok(())
            });
        }
        futures_util::future::try_join_all(calls).await?;
        Ok(())
    }
}

impl Outcomes for EventBus {
    async fn publish(&self, events: &[Outcome]) -> Result<(), PortError> {
        let entries: Vec<(&str, serde_json::Value)> = events
            .iter()
            .map(|o| (o.kind.detail_type(), o.detail.clone()))
            .collect();
        self.put(SOURCE, &entries).await
    }
}
