//! Ephemeral resources: objects that live for one Terraform run and never reach the plan or
//! the state (protocol 6.7, Terraform 1.10 and later).
//!
//! Terraform opens an ephemeral resource when its configuration is wholly known (during plan
//! and again during apply), hands the result to whatever references it (a provider block, a
//! provisioner, a write-only argument), and closes it at the end of the walk with the private
//! data the open returned. An [`EphemeralResource`] works on a typed config-and-result struct
//! and a typed private struct; the adapter here turns it into the value-level
//! [`DynEphemeralResource`] the protocol layer calls, adding schema validation and the JSON
//! encoding of the private data (opaque bytes to Terraform, which keeps them in memory only).
//!
//! Terraform checks an open's result against the configuration as it checks a planned state
//! against a null prior state (`objchange.AssertPlanValid` in `ephemeralResourceOpen`): every
//! configured attribute must come back exactly as configured, and only computed attributes may
//! be filled in. A result that reports something different from the configuration therefore
//! goes in a computed attribute of its own.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::resource::Cx;
use crate::framework::schema::{validate_config, Schema};
use crate::value::{self, AttributePath, Type, Value};

/// What an open produced: the result Terraform hands to references, and the private data it
/// sends back with the close.
#[derive(Debug)]
pub struct Opened<S, P> {
    pub result: S,
    pub private: P,
}

/// An ephemeral resource with a typed config-and-result struct `State` and typed private data.
///
/// There is no renewal: an open's result stays valid until the close.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    type Client: Send + Sync + 'static;
    /// The configuration as sent, and the result with the computed attributes filled in.
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What the close needs. Terraform never stores it, but it goes through Terraform's memory
    /// and logs at trace level, so it must hold no secret.
    type Private: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The type name without the provider prefix, e.g. `api_key`.
    const NAME: &'static str;

    fn schema() -> Schema;

    /// Checks beyond the schema's validators. `config` may hold unknown values (Terraform
    /// validates before it knows them), which must be skipped.
    fn validate(_config: &Value, _diags: &mut Diagnostics) {}

    /// Creates the object. An error must leave nothing behind, or name what it left.
    /// Warnings go through [`Cx::warn`].
    async fn open(
        &self,
        cx: &Cx<Self::Client>,
        config: Self::State,
    ) -> Result<Opened<Self::State, Self::Private>, Diagnostics>;

    /// Removes what `open` created; an object already gone is success.
    async fn close(&self, cx: &Cx<Self::Client>, private: Self::Private) -> Result<(), Diagnostics>;
}

/// The value-level view of an ephemeral resource that the protocol layer calls.
#[async_trait]
pub trait DynEphemeralResource<C>: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// The result and the private data as bytes, or no result when the open failed; the
    /// call's warnings come first in the diagnostics.
    async fn open(&self, cx: &Cx<C>, config: &Value) -> (Option<(Value, Vec<u8>)>, Diagnostics);
    /// Closes the object `private` (bytes from [`DynEphemeralResource::open`]) names.
    async fn close(&self, cx: &Cx<C>, private: &[u8]) -> Diagnostics;
}

/// Wraps a typed ephemeral resource for the registry.
pub fn ephemeral_resource<E: EphemeralResource>(ephemeral: E) -> std::sync::Arc<dyn DynEphemeralResource<E::Client>> {
    let schema = E::schema();
    let value_type = schema.value_type();
    std::sync::Arc::new(EphemeralAdapter {
        ephemeral,
        schema,
        value_type,
    })
}

struct EphemeralAdapter<E> {
    ephemeral: E,
    schema: Schema,
    value_type: Type,
}

#[async_trait]
impl<E: EphemeralResource> DynEphemeralResource<E::Client> for EphemeralAdapter<E> {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn value_type(&self) -> &Type {
        &self.value_type
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_config(&self.schema.block, config, &AttributePath::root(), &mut diags);
        E::validate(config, &mut diags);
        diags
    }

    async fn open(&self, cx: &Cx<E::Client>, config: &Value) -> (Option<(Value, Vec<u8>)>, Diagnostics) {
        let config_state = match value::from_value::<E::State>(config) {
            Ok(state) => state,
            Err(err) => return (None, Diagnostic::bug("Could not decode the configuration", err).into()),
        };
        let opened = self.ephemeral.open(cx, config_state).await;
        let mut diags = cx.take_warnings();
        let Opened { result, private } = match opened {
            Ok(opened) => opened,
            Err(errors) => {
                diags.extend(errors);
                return (None, diags);
            }
        };
        let encoded = value::to_value(&result, &self.value_type)
            .map_err(|err| Diagnostic::bug("Could not encode the ephemeral result", err))
            .and_then(|result| {
                serde_json::to_vec(&private)
                    .map(|private| (result.null_unknowns(), private))
                    .map_err(|err| Diagnostic::bug("Could not encode the private data", err))
            });
        match encoded {
            Ok(encoded) => (Some(encoded), diags),
            Err(bug) => {
                // The object exists but Terraform will never close it: close it now.
                diags.push(bug);
                if let Err(errors) = self.ephemeral.close(cx, private).await {
                    diags.extend(errors);
                }
                (None, diags)
            }
        }
    }

    async fn close(&self, cx: &Cx<E::Client>, private: &[u8]) -> Diagnostics {
        let private = match serde_json::from_slice::<E::Private>(private) {
            Ok(private) => private,
            Err(err) => {
                return Diagnostic::bug(
                    "Could not decode the private data of the ephemeral resource",
                    format!("{err}; Terraform sent {} bytes", private.len()),
                )
                .into()
            }
        };
        let closed = self.ephemeral.close(cx, private).await;
        let mut diags = cx.take_warnings();
        if let Err(errors) = closed {
            diags.extend(errors);
        }
        diags
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde::Deserialize;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::framework::schema::{length, string};

    /// An ephemeral resource whose open and close are function-valued fields, so each test says
    /// inline what it needs; `closed` records every close.
    struct Fake {
        open: fn(FakeState) -> Result<Opened<FakeState, FakePrivate>, Diagnostics>,
        closed: Arc<Mutex<Vec<String>>>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct FakeState {
        name: String,
        token: Option<String>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct FakePrivate {
        id: String,
    }

    #[async_trait]
    impl EphemeralResource for Fake {
        type Client = ();
        type State = FakeState;
        type Private = FakePrivate;
        const NAME: &'static str = "fake";

        fn schema() -> Schema {
            Schema::new("fake").attributes([
                string("name").required().validate(length(1..=5)),
                string("token").computed().sensitive(),
            ])
        }

        fn validate(config: &Value, diags: &mut Diagnostics) {
            if config.get("name").as_str() == Some("bad") {
                diags.attribute_error(AttributePath::attr("name"), "Bad name", "bad");
            }
        }

        async fn open(&self, cx: &Cx<()>, config: FakeState) -> Result<Opened<FakeState, FakePrivate>, Diagnostics> {
            cx.warn(Diagnostic::warning("Opening", "a warning from open"));
            (self.open)(config)
        }

        async fn close(&self, _: &Cx<()>, private: FakePrivate) -> Result<(), Diagnostics> {
            self.closed.lock().unwrap().push(private.id.clone());
            if private.id == "stuck" {
                return Err(Diagnostic::error("Could not close", "stuck").into());
            }
            Ok(())
        }
    }

    /// The closes a fake saw, by the id in their private data.
    type Closed = Arc<Mutex<Vec<String>>>;

    fn fake(
        open: fn(FakeState) -> Result<Opened<FakeState, FakePrivate>, Diagnostics>,
    ) -> (Arc<dyn DynEphemeralResource<()>>, Closed) {
        let closed = Arc::new(Mutex::new(Vec::new()));
        let adapter = ephemeral_resource(Fake {
            open,
            closed: Arc::clone(&closed),
        });
        (adapter, closed)
    }

    fn cx() -> Cx<()> {
        Cx::new(Arc::new(()), CancellationToken::new())
    }

    fn config(name: Value) -> Value {
        Value::object([("name", name), ("token", Value::Null)])
    }

    fn opened(config: FakeState) -> Result<Opened<FakeState, FakePrivate>, Diagnostics> {
        Ok(Opened {
            private: FakePrivate {
                id: format!("id-{}", config.name),
            },
            result: FakeState {
                token: Some("t0ken".to_string()),
                ..config
            },
        })
    }

    #[test]
    fn validate_runs_schema_validators_then_the_types_own_and_skips_unknowns() {
        let (fake, _) = fake(opened);
        let cases: [(&str, Value, &[&str]); 4] = [
            ("fine", config(Value::string("ok")), &[]),
            (
                "too long",
                config(Value::string("toolong")),
                &["Invalid attribute value length"],
            ),
            ("own check", config(Value::string("bad")), &["Bad name"]),
            ("unknown", config(Value::Unknown), &[]),
        ];
        for (name, config, expected) in cases {
            let diags = fake.validate(&config);
            let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
            assert_eq!(summaries, expected, "{name}");
            for diagnostic in diags.iter() {
                assert_eq!(diagnostic.attribute, Some(AttributePath::attr("name")), "{name}");
            }
        }
    }

    #[tokio::test]
    async fn open_returns_the_result_and_private_bytes_that_close_reads_back() {
        let (fake, closed) = fake(opened);
        let (result, diags) = fake.open(&cx(), &config(Value::string("a"))).await;
        let (value, private) = result.expect("opened");
        assert_eq!(value.get("token"), &Value::string("t0ken"));
        assert_eq!(value.get("name"), &Value::string("a"));
        assert_eq!(private, br#"{"id":"id-a"}"#);
        let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Opening"], "the warning from open is passed on");
        assert!(fake.close(&cx(), &private).await.is_empty());
        assert_eq!(*closed.lock().unwrap(), ["id-a"]);
    }

    #[tokio::test]
    async fn a_failed_open_has_no_result_and_keeps_its_warnings() {
        let (fake, closed) = fake(|_| Err(Diagnostic::error("Could not open", "no").into()));
        let (result, diags) = fake.open(&cx(), &config(Value::string("a"))).await;
        assert!(result.is_none());
        let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Opening", "Could not open"]);
        assert!(
            closed.lock().unwrap().is_empty(),
            "nothing was opened, nothing is closed"
        );
    }

    #[tokio::test]
    async fn close_reports_its_errors_and_undecodable_private_data() {
        let (fake, closed) = fake(opened);
        let diags = fake.close(&cx(), br#"{"id":"stuck"}"#).await;
        assert!(diags.has_errors());
        assert_eq!(diags.iter().next().unwrap().summary, "Could not close");
        let diags = fake.close(&cx(), b"not json").await;
        assert!(diags.has_errors());
        assert!(
            diags.iter().next().unwrap().summary.contains("private data"),
            "{diags:?}"
        );
        assert_eq!(*closed.lock().unwrap(), ["stuck"], "undecodable data closes nothing");
    }
}
