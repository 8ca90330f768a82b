//! `atlas::Client` against the in-process emulator: every call over real HTTP with Digest or
//! OAuth, checked through return values and the emulator's request log.

use std::time::Duration;

use atlas_emulator::{Options, Running};
use serde_json::{json, Value};
use terraform_provider_mongodbatlas::atlas::{
    self, Client, Config, CreateAiModelApiKey, CreateApiKey, CreateProjectApiKey, Credentials, Error, ExposeSecret,
    RetryPolicy, SecretString, UpdateAiModelApiKey, UpdateApiKey, UpdateProjectApiKey,
};
use terraform_provider_mongodbatlas::atlas::{ModelGroupScope, UpdateAiModelRateLimit};

const USER_AGENT: &str = "terraform-provider-mongodbatlas/test";

async fn emulator() -> Running {
    match atlas_emulator::start(Options::default()).await {
        Ok(running) => running,
        Err(err) => panic!("could not start the emulator: {err}"),
    }
}

fn digest_credentials(running: &Running) -> Credentials {
    Credentials::Digest {
        public_key: running.seed.public_key.clone(),
        private_key: SecretString::from(running.seed.private_key.clone()),
    }
}

fn client_with(running: &Running, credentials: Credentials) -> Client {
    let mut config = Config::new(running.base_url(), credentials, USER_AGENT);
    // Failures in these tests are deterministic; retries would only slow a failing run down.
    config.retry = RetryPolicy::none();
    Client::new(config).unwrap_or_else(|err| panic!("client: {err}"))
}

fn digest_client(running: &Running) -> Client {
    client_with(running, digest_credentials(running))
}

fn ok<T>(result: Result<T, Error>, what: &str) -> T {
    result.unwrap_or_else(|err| panic!("{what}: {err}"))
}

/// The emulator's request log (only `/api/` requests).
async fn request_log(running: &Running) -> Vec<Value> {
    let url = format!("{}/__emulator/requests", running.base_url());
    let response = reqwest::get(&url)
        .await
        .unwrap_or_else(|err| panic!("request log: {err}"));
    response
        .json()
        .await
        .unwrap_or_else(|err| panic!("request log body: {err}"))
}

async fn clear_request_log(running: &Running) {
    let url = format!("{}/__emulator/requests", running.base_url());
    let status = reqwest::Client::new()
        .delete(&url)
        .send()
        .await
        .map(|response| response.status().as_u16())
        .unwrap_or_else(|err| panic!("clear request log: {err}"));
    assert_eq!(status, 204);
}

fn summary(log: &[Value]) -> Vec<String> {
    log.iter()
        .map(|entry| {
            format!(
                "{} {}?{} -> {} ({})",
                entry["method"].as_str().unwrap_or("?"),
                entry["path"].as_str().unwrap_or("?"),
                entry["query"].as_str().unwrap_or(""),
                entry["status"],
                entry["auth"].as_str().unwrap_or("?"),
            )
        })
        .collect()
}

fn is_redacted(private_key: &Option<SecretString>) -> bool {
    private_key
        .as_ref()
        .is_some_and(|key| key.expose_secret().starts_with("********-****-****-"))
}

fn is_full_uuid(private_key: &Option<SecretString>) -> bool {
    private_key.as_ref().is_some_and(|key| {
        let key = key.expose_secret();
        key.len() == 36 && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    })
}

#[tokio::test]
async fn org_key_lifecycle_create_get_update_delete() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org_id = running.seed.org_id.as_str();

    let created = ok(
        client
            .create_api_key(
                org_id,
                &CreateApiKey {
                    desc: "lifecycle".into(),
                    roles: vec!["ORG_MEMBER".into()],
                },
            )
            .await,
        "create",
    );
    assert!(
        is_full_uuid(&created.private_key),
        "create returns the full private key"
    );
    assert_eq!(created.desc.as_deref(), Some("lifecycle"));
    assert_eq!(created.public_key.as_deref().map(str::len), Some(8));
    assert!(created
        .roles
        .iter()
        .any(|role| role.role_name == "ORG_MEMBER" && role.org_id.as_deref() == Some(org_id)));

    let read = ok(client.get_api_key(org_id, &created.id).await, "get");
    assert_eq!(read.id, created.id);
    assert_eq!(read.public_key, created.public_key);
    assert!(is_redacted(&read.private_key), "later reads redact the private key");

    let updated = ok(
        client
            .update_api_key(
                org_id,
                &created.id,
                &UpdateApiKey {
                    desc: Some("renamed".into()),
                    roles: Some(vec!["ORG_READ_ONLY".into(), "ORG_BILLING_ADMIN".into()]),
                },
            )
            .await,
        "update",
    );
    assert_eq!(updated.desc.as_deref(), Some("renamed"));
    let mut org_roles: Vec<&str> = updated
        .roles
        .iter()
        .filter(|role| role.org_id.as_deref() == Some(org_id))
        .map(|role| role.role_name.as_str())
        .collect();
    org_roles.sort_unstable();
    assert_eq!(org_roles, ["ORG_BILLING_ADMIN", "ORG_READ_ONLY"]);
    assert!(!is_full_uuid(&updated.private_key));

    let only_desc = ok(
        client
            .update_api_key(
                org_id,
                &created.id,
                &UpdateApiKey {
                    desc: Some("renamed again".into()),
                    roles: None,
                },
            )
            .await,
        "update desc only",
    );
    assert_eq!(only_desc.desc.as_deref(), Some("renamed again"));
    assert_eq!(only_desc.roles.len(), 2, "roles untouched when omitted");

    let listed = ok(client.list_api_keys(org_id).await, "list");
    assert!(listed.iter().any(|key| key.id == created.id));
    assert!(listed.iter().all(|key| !is_full_uuid(&key.private_key)));

    ok(client.delete_api_key(org_id, &created.id).await, "delete");
    let gone = ok(
        client.get_api_key_opt(org_id, &created.id).await,
        "get_opt after delete",
    );
    assert!(gone.is_none());

    let err = match client.delete_api_key(org_id, &created.id).await {
        Ok(()) => panic!("deleting a deleted key must fail"),
        Err(err) => err,
    };
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.error_code(), Some("API_KEY_NOT_FOUND"));
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "Atlas returned 404 API_KEY_NOT_FOUND for DELETE /api/atlas/v2/orgs/{org_id}/apiKeys/{}",
            created.id
        )),
        "{message}"
    );
    assert!(!message.ends_with('.'), "{message}");
    assert!(!message.contains(&running.seed.private_key));

    let err = match client.get_api_key(org_id, &created.id).await {
        Ok(_) => panic!("get of a deleted key must fail"),
        Err(err) => err,
    };
    assert!(err.is_not_found());
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn digest_nonce_is_reused_so_n_calls_cost_n_plus_one_requests() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org_id = running.seed.org_id.as_str();
    clear_request_log(&running).await;

    const CALLS: usize = 6;
    for _ in 0..CALLS {
        ok(client.list_api_keys_page(org_id, 1, 100).await, "list page");
    }
    let log = request_log(&running).await;
    let lines = summary(&log);
    assert_eq!(log.len(), CALLS + 1, "{lines:#?}");
    assert_eq!(log[0]["status"], 401, "{lines:#?}");
    assert_eq!(log[0]["auth"], "none", "{lines:#?}");
    for entry in &log[1..] {
        assert_eq!(entry["status"], 200, "{lines:#?}");
        assert_eq!(entry["auth"], "digest", "{lines:#?}");
    }

    // Clones share the cached challenge.
    let clone = client.clone();
    clear_request_log(&running).await;
    ok(
        clone.get_group(&running.seed.project_ids[0]).await,
        "get_group through a clone",
    );
    assert_eq!(request_log(&running).await.len(), 1);
}

#[tokio::test]
async fn concurrent_calls_all_succeed_with_a_shared_nonce() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org_id = running.seed.org_id.clone();
    // Prime the cache, then race: counts may arrive out of order at the server.
    ok(client.list_orgs().await, "list_orgs");
    clear_request_log(&running).await;

    const CALLS: usize = 24;
    let calls = (0..CALLS).map(|_| {
        let client = client.clone();
        let org_id = org_id.clone();
        tokio::spawn(async move { client.list_api_keys_page(&org_id, 1, 10).await })
    });
    for joined in futures::future::join_all(calls).await {
        let page = joined.unwrap_or_else(|err| panic!("task: {err}"));
        ok(page, "concurrent list page");
    }
    let log = request_log(&running).await;
    // Each call costs one request: counts arriving out of order are no replays.
    assert_eq!(log.len(), CALLS, "{:#?}", summary(&log));
    let succeeded = log.iter().filter(|entry| entry["status"] == 200).count();
    assert_eq!(succeeded, CALLS);
}

#[tokio::test]
async fn wrong_private_key_is_an_api_error_saying_credentials_were_rejected() {
    let running = emulator().await;
    let wrong_secret = "00000000-1111-2222-3333-444444444444";
    let client = client_with(
        &running,
        Credentials::Digest {
            public_key: running.seed.public_key.clone(),
            private_key: SecretString::from(wrong_secret),
        },
    );
    clear_request_log(&running).await;
    let err = match client.list_orgs().await {
        Ok(_) => panic!("a wrong private key must be rejected"),
        Err(err) => err,
    };
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(matches!(err, Error::Api(_)));
    assert!(!err.is_not_found());
    assert!(!err.may_have_been_processed());
    let message = err.to_string();
    assert!(
        message.starts_with("Atlas rejected the credentials with 401"),
        "{message}"
    );
    assert!(!message.contains(wrong_secret) && !format!("{err:?}").contains(wrong_secret));
    // One unauthenticated probe, one answer; no loop.
    let log = request_log(&running).await;
    assert_eq!(log.len(), 2, "{:#?}", summary(&log));
}

#[tokio::test]
async fn list_walks_every_page() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org_id = running.seed.org_id.as_str();
    let before = ok(client.list_api_keys(org_id).await, "list before").len();

    let url = format!("{}/__emulator/orgs/{org_id}/apiKeys", running.base_url());
    let status = reqwest::Client::new()
        .post(&url)
        .json(&json!({"count": 1030}))
        .send()
        .await
        .map(|response| response.status().as_u16())
        .unwrap_or_else(|err| panic!("bulk create: {err}"));
    assert_eq!(status, 201);
    let total = before + 1030;

    clear_request_log(&running).await;
    let all = ok(client.list_api_keys(org_id).await, "list all");
    assert_eq!(all.len(), total);
    let mut ids: Vec<&str> = all.iter().map(|key| key.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "no key twice");
    let log = request_log(&running).await;
    let pages: Vec<&str> = log.iter().filter_map(|entry| entry["query"].as_str()).collect();
    let expected_pages = total.div_ceil(500);
    assert_eq!(pages.len(), expected_pages, "{:#?}", summary(&log));
    for (index, query) in pages.iter().enumerate() {
        assert!(
            query.contains(&format!("pageNum={}", index + 1)) && query.contains("itemsPerPage=500"),
            "{query}"
        );
    }

    let second = ok(client.list_api_keys_page(org_id, 2, 100).await, "page 2");
    assert_eq!(second.results.len(), 100);
    assert_eq!(second.total_count, Some(total as u64));
}

#[tokio::test]
async fn lookups_find_the_seeded_org_and_projects() {
    let running = emulator().await;
    let client = digest_client(&running);
    let orgs = ok(client.list_orgs().await, "list_orgs");
    assert!(orgs.iter().any(|org| org.id == running.seed.org_id), "{orgs:?}");
    for project_id in &running.seed.project_ids {
        let group = ok(client.get_group(project_id).await, "get_group");
        assert_eq!(&group.id, project_id);
        assert_eq!(group.org_id, running.seed.org_id);
    }
    let err = match client.get_group("0123456789abcdef01234567").await {
        Ok(group) => panic!("unknown project found: {group:?}"),
        Err(err) => err,
    };
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn access_list_operations_encode_cidrs_and_find_addresses_as_their_32() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org = running.seed.org_id.as_str();
    let key = ok(
        client
            .create_api_key(
                org,
                &CreateApiKey {
                    desc: "listed".into(),
                    roles: vec!["ORG_MEMBER".into()],
                },
            )
            .await,
        "create key",
    );
    let entries = [
        atlas::CreateAccessListEntry {
            cidr_block: None,
            ip_address: Some("203.0.113.10".into()),
        },
        atlas::CreateAccessListEntry {
            cidr_block: Some("10.1.0.0/16".into()),
            ip_address: None,
        },
    ];
    clear_request_log(&running).await;
    let created = ok(
        client.create_access_list_entries(org, &key.id, &entries).await,
        "create entries",
    );
    assert_eq!(created.results.len(), 2);
    let single = ok(
        client.get_access_list_entry(org, &key.id, "203.0.113.10/32").await,
        "get /32",
    );
    assert_eq!(single.ip_address.as_deref(), Some("203.0.113.10"));
    let range = ok(
        client.get_access_list_entry(org, &key.id, "10.1.0.0/16").await,
        "get range",
    );
    assert_eq!(range.cidr_block.as_deref(), Some("10.1.0.0/16"));
    let listed = ok(client.list_access_list_entries(org, &key.id).await, "list");
    assert_eq!(listed.len(), 2);
    let page = ok(client.list_access_list_entries_page(org, &key.id, 2, 1).await, "page");
    assert_eq!(page.results, vec![range.clone()]);
    ok(
        client.delete_access_list_entry(org, &key.id, "10.1.0.0/16").await,
        "delete",
    );
    let gone = ok(
        client.get_access_list_entry_opt(org, &key.id, "10.1.0.0/16").await,
        "get_opt",
    );
    assert_eq!(gone, None);
    let err = match client.delete_access_list_entry(org, &key.id, "10.1.0.0/16").await {
        Ok(()) => panic!("second delete must fail"),
        Err(err) => err,
    };
    assert!(err.is_not_found(), "{err}");
    let paths: Vec<String> = request_log(&running)
        .await
        .iter()
        .filter(|entry| entry["auth"] != "challenge")
        .map(|entry| {
            format!(
                "{} {}",
                entry["method"].as_str().unwrap_or("?"),
                entry["path"].as_str().unwrap_or("?")
            )
        })
        .collect();
    let base = format!("/api/atlas/v2/orgs/{org}/apiKeys/{}/accessList", key.id);
    assert!(paths.contains(&format!("GET {base}/10.1.0.0%2F16")), "{paths:?}");
    assert!(paths.contains(&format!("DELETE {base}/10.1.0.0%2F16")), "{paths:?}");
    assert!(paths.contains(&format!("GET {base}/203.0.113.10%2F32")), "{paths:?}");

    let bad = [atlas::CreateAccessListEntry {
        cidr_block: Some("10.0.0.1/24".into()),
        ip_address: None,
    }];
    let err = match client.create_access_list_entries(org, &key.id, &bad).await {
        Ok(_) => panic!("a non-canonical CIDR was accepted"),
        Err(err) => err,
    };
    assert_eq!(err.error_code(), Some("INVALID_CIDR_BLOCK"), "{err}");
    assert!(!err.is_not_found() && !err.may_have_been_processed());
}

#[tokio::test]
async fn system_status_names_the_calling_key_and_its_organization() {
    let running = emulator().await;
    let status = ok(digest_client(&running).get_system_status().await, "system status");
    let key = status
        .api_key
        .unwrap_or_else(|| panic!("a digest caller is an API key"));
    assert_eq!(key.public_key.as_deref(), Some(running.seed.public_key.as_str()));
    assert!(key
        .roles
        .iter()
        .any(|role| role.role_name == "ORG_OWNER" && role.org_id.as_deref() == Some(running.seed.org_id.as_str())));
    let account = client_with(
        &running,
        Credentials::ServiceAccount {
            client_id: running.seed.client_id.clone(),
            client_secret: SecretString::from(running.seed.client_secret.clone()),
        },
    );
    let status = ok(account.get_system_status().await, "system status as a service account");
    assert_eq!(status.api_key, None);
    assert_eq!(status.app_name.as_deref(), Some("MongoDB Atlas"));
}

#[tokio::test]
async fn validation_errors_keep_atlas_code_and_are_not_not_found() {
    let running = emulator().await;
    let client = digest_client(&running);
    let err = match client
        .create_api_key(
            &running.seed.org_id,
            &CreateApiKey {
                desc: "no roles".into(),
                roles: vec![],
            },
        )
        .await
    {
        Ok(key) => panic!("a key without roles was created: {}", key.id),
        Err(err) => err,
    };
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.error_code().is_some(), "{err}");
    assert!(!err.is_not_found());
    assert!(!err.may_have_been_processed());
}

#[tokio::test]
async fn ai_model_key_operations() {
    let running = emulator().await;
    let client = digest_client(&running);
    let group_id = running.seed.project_ids[0].as_str();

    let created = ok(
        client
            .create_ai_model_api_key(
                group_id,
                &CreateAiModelApiKey {
                    name: "embeddings".into(),
                    cloud: "ANY".into(),
                    geography: "ANY".into(),
                },
            )
            .await,
        "create_ai_model_api_key",
    );
    let secret = created.secret.as_ref().map(|s| s.expose_secret().to_owned());
    assert!(
        secret.as_deref().is_some_and(|s| s.len() > 8),
        "create returns the secret"
    );
    assert_eq!(created.name, "embeddings");
    assert_eq!(created.group_id.as_deref(), Some(group_id));
    assert!(created.masked_secret.is_some());
    assert!(!format!("{created:?}").contains(secret.as_deref().unwrap_or("<none>")));

    let read = ok(client.get_ai_model_api_key(group_id, &created.api_key_id).await, "get");
    assert!(read.secret.is_none(), "only create returns the secret");
    assert_eq!(read.masked_secret, created.masked_secret);
    assert_eq!(read.last_used_at, None);

    let renamed = ok(
        client
            .update_ai_model_api_key(
                group_id,
                &created.api_key_id,
                &UpdateAiModelApiKey { name: "renamed".into() },
            )
            .await,
        "update",
    );
    assert_eq!(renamed.name, "renamed");
    assert!(renamed.secret.is_none());

    let listed = ok(client.list_ai_model_api_keys(group_id).await, "list");
    assert!(listed
        .iter()
        .any(|key| key.api_key_id == created.api_key_id && key.name == "renamed"));
    let in_org = ok(
        client.list_org_ai_model_api_keys(&running.seed.org_id).await,
        "list org",
    );
    assert!(in_org.iter().any(|key| key.api_key_id == created.api_key_id));

    ok(
        client.delete_ai_model_api_key(group_id, &created.api_key_id).await,
        "delete",
    );
    let gone = ok(
        client.get_ai_model_api_key_opt(group_id, &created.api_key_id).await,
        "get_opt",
    );
    assert!(gone.is_none());
    let err = match client.delete_ai_model_api_key(group_id, &created.api_key_id).await {
        Ok(()) => panic!("second delete must fail"),
        Err(err) => err,
    };
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_that_was_not_processed() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("{err}"));
        listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or_else(|err| panic!("{err}"))
    };
    let mut config = Config::new(
        format!("http://127.0.0.1:{port}"),
        Credentials::Digest {
            public_key: "abcdefgh".into(),
            private_key: SecretString::from("00000000-0000-0000-0000-000000000000"),
        },
        USER_AGENT,
    );
    config.retry = RetryPolicy::none();
    let client = Client::new(config).unwrap_or_else(|err| panic!("{err}"));
    let err = match client
        .create_api_key(
            "0123456789abcdef01234567",
            &CreateApiKey {
                desc: "x".into(),
                roles: vec!["ORG_MEMBER".into()],
            },
        )
        .await
    {
        Ok(_) => panic!("nothing listens there"),
        Err(err) => err,
    };
    assert!(
        matches!(&err, Error::Transport(transport) if transport.connect),
        "{err:?}"
    );
    assert!(!err.may_have_been_processed());
    assert_eq!(err.status(), None);
    assert_eq!(
        err.to_string(),
        format!(
            "could not reach Atlas at 127.0.0.1:{port} for POST /api/atlas/v2/orgs/0123456789abcdef01234567/apiKeys: \
             connection refused (nothing accepts connections on that port)"
        )
    );
}

#[tokio::test]
async fn project_key_assignment_operations() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org_id = running.seed.org_id.as_str();
    let first = running.seed.project_ids[0].as_str();
    let second = running.seed.project_ids[1].as_str();

    let created = ok(
        client
            .create_project_api_key(
                first,
                &CreateProjectApiKey {
                    desc: "project key".into(),
                    roles: vec!["GROUP_READ_ONLY".into()],
                },
            )
            .await,
        "create_project_api_key",
    );
    assert!(is_full_uuid(&created.private_key));
    assert!(created
        .roles
        .iter()
        .any(|r| r.role_name == "GROUP_READ_ONLY" && r.group_id.as_deref() == Some(first)));
    assert!(
        created
            .roles
            .iter()
            .any(|r| r.role_name == "ORG_MEMBER" && r.org_id.as_deref() == Some(org_id)),
        "atlas adds ORG_MEMBER: {:?}",
        created.roles
    );

    let in_first = ok(client.list_project_api_keys(first).await, "list first");
    let listed = in_first.iter().find(|key| key.id == created.id);
    assert!(listed.is_some_and(|key| is_redacted(&key.private_key)));

    ok(
        client
            .add_project_api_key(second, &created.id, &["GROUP_OWNER".to_owned()])
            .await,
        "add_project_api_key",
    );
    let key = ok(client.get_api_key(org_id, &created.id).await, "get after add");
    assert!(key
        .roles
        .iter()
        .any(|r| r.role_name == "GROUP_OWNER" && r.group_id.as_deref() == Some(second)));

    let updated = ok(
        client
            .update_project_api_key_roles(
                second,
                &created.id,
                &UpdateProjectApiKey {
                    desc: None,
                    roles: Some(vec!["GROUP_READ_ONLY".into(), "GROUP_DATA_ACCESS_READ_ONLY".into()]),
                },
            )
            .await,
        "update_project_api_key_roles",
    );
    let mut second_roles: Vec<&str> = updated
        .roles
        .iter()
        .filter(|r| r.group_id.as_deref() == Some(second))
        .map(|r| r.role_name.as_str())
        .collect();
    second_roles.sort_unstable();
    assert_eq!(second_roles, ["GROUP_DATA_ACCESS_READ_ONLY", "GROUP_READ_ONLY"]);

    ok(client.remove_project_api_key(second, &created.id).await, "remove");
    let in_second = ok(client.list_project_api_keys(second).await, "list second");
    assert!(in_second.iter().all(|key| key.id != created.id));
    let key = ok(
        client.get_api_key(org_id, &created.id).await,
        "org key survives removal",
    );
    assert!(key.roles.iter().all(|r| r.group_id.as_deref() != Some(second)));

    ok(client.delete_api_key(org_id, &created.id).await, "delete org key");
    let in_first = ok(client.list_project_api_keys(first).await, "list first after delete");
    assert!(in_first.iter().all(|key| key.id != created.id));
}

#[test]
fn error_type_is_send_sync_and_static() {
    fn assert_bounds<T: Send + Sync + 'static + std::error::Error>() {}
    assert_bounds::<atlas::Error>();
    let _ = Duration::ZERO;
}

use crate::support::scripted::{self, json as reply_json, Reply};

const GROUP_ID: &str = "69681d39c9e8cfd375386316";
const ORG_ID: &str = "32b6e34b3d91647abb20e7b9";
const GROUP_BODY: &str = r#"{"id":"69681d39c9e8cfd375386316","orgId":"32b6e34b3d91647abb20e7b9","name":"p","clusterCount":0,"created":"2026-01-15T16:47:49Z"}"#;
const KEY_BODY: &str = r#"{"id":"32b6e34b3d91647abb20e7b8","desc":"d","publicKey":"zmmrboas","privateKey":"55c3bbb6-b4bb-4be1-9e66-d20841f3e0aa","roles":[{"orgId":"32b6e34b3d91647abb20e7b9","roleName":"ORG_MEMBER"}]}"#;
const RATE_LIMITED_BODY: &str =
    r#"{"detail":"Rate limit exceeded","error":429,"errorCode":"RATE_LIMITED","reason":"Too Many Requests"}"#;
const UNEXPECTED_BODY: &str =
    r#"{"detail":"boom","error":500,"errorCode":"UNEXPECTED_ERROR","reason":"Internal Server Error"}"#;

fn token_client(base_url: &str, retry: RetryPolicy) -> Client {
    let mut config = Config::new(
        base_url,
        Credentials::AccessToken(SecretString::from("token-abc")),
        USER_AGENT,
    );
    config.retry = retry;
    config.request_timeout = Duration::from_secs(30);
    Client::new(config).unwrap_or_else(|err| panic!("{err}"))
}

fn create_body() -> CreateApiKey {
    CreateApiKey {
        desc: "d".into(),
        roles: vec!["ORG_MEMBER".into()],
    }
}

#[tokio::test(start_paused = true)]
async fn get_retries_429_then_500_honouring_retry_after() {
    let server = scripted::start(vec![
        reply_json(429, &[("Retry-After", "3")], RATE_LIMITED_BODY),
        reply_json(500, &[], UNEXPECTED_BODY),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    let started = tokio::time::Instant::now();
    let group = ok(client.get_group(GROUP_ID).await, "get_group after retries");
    assert_eq!(group.org_id, ORG_ID);
    let waited = started.elapsed();
    // 3 s from Retry-After, then the second backoff (2 s scaled by a jitter of 0.5..=1).
    assert!(
        waited >= Duration::from_secs(4) && waited <= Duration::from_secs(6),
        "{waited:?}"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert_eq!(request.target, format!("/api/atlas/v2/groups/{GROUP_ID}"));
        assert_eq!(request.accept.as_deref(), Some("application/vnd.atlas.2023-01-01+json"));
        assert_eq!(request.authorization.as_deref(), Some("Bearer token-abc"));
        assert_eq!(request.user_agent.as_deref(), Some(USER_AGENT));
        assert_eq!(request.content_type, None);
    }
}

#[tokio::test(start_paused = true)]
async fn create_is_not_retried_after_a_500() {
    let server = scripted::start(vec![
        reply_json(500, &[], UNEXPECTED_BODY),
        reply_json(200, &[], KEY_BODY),
    ])
    .await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    let err = match client.create_api_key(ORG_ID, &create_body()).await {
        Ok(_) => panic!("a create that failed with 500 must not be replayed"),
        Err(err) => err,
    };
    assert_eq!(err.status(), Some(500));
    assert!(
        err.may_have_been_processed(),
        "the caller must look for the key before creating again"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/vnd.atlas.2023-01-01+json")
    );
    assert_eq!(seen[0].body, r#"{"desc":"d","roles":["ORG_MEMBER"]}"#);
}

#[tokio::test(start_paused = true)]
async fn create_is_retried_after_a_429_with_the_same_body() {
    let server = scripted::start(vec![
        reply_json(429, &[("Retry-After", "1")], RATE_LIMITED_BODY),
        reply_json(200, &[], KEY_BODY),
    ])
    .await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    let created = ok(client.create_api_key(ORG_ID, &create_body()).await, "create after 429");
    assert!(is_full_uuid(&created.private_key));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body);
}

#[tokio::test(start_paused = true)]
async fn create_is_not_retried_when_the_connection_drops_after_sending() {
    let server = scripted::start(vec![Reply::Close, reply_json(200, &[], KEY_BODY)]).await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    let err = match client.create_api_key(ORG_ID, &create_body()).await {
        Ok(_) => panic!("must not be replayed"),
        Err(err) => err,
    };
    assert!(
        matches!(&err, Error::Transport(transport) if !transport.connect),
        "{err:?}"
    );
    assert!(err.may_have_been_processed());
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn get_is_retried_when_the_connection_drops() {
    let server = scripted::start(vec![Reply::Close, reply_json(200, &[], GROUP_BODY)]).await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    ok(client.get_group(GROUP_ID).await, "get after a dropped connection");
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn html_502_is_retried_until_attempts_run_out_and_keeps_status_and_body() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let replies = (0..6).map(|_| scripted::raw(502, "text/html", &[], html)).collect();
    let server = scripted::start(replies).await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    let err = match client.delete_api_key(ORG_ID, "32b6e34b3d91647abb20e7b8").await {
        Ok(()) => panic!("502 every time"),
        Err(err) => err,
    };
    assert_eq!(server.seen().len(), 5, "default policy: five attempts");
    assert_eq!(err.status(), Some(502));
    assert!(!err.is_not_found());
    let api = err
        .api()
        .cloned()
        .unwrap_or_else(|| panic!("api error expected: {err:?}"));
    assert_eq!(api.error_code, None);
    assert_eq!(api.raw_body.as_deref(), Some(html));
    assert_eq!(
        err.to_string(),
        "Atlas returned 502 for DELETE /api/atlas/v2/orgs/32b6e34b3d91647abb20e7b9/apiKeys/32b6e34b3d91647abb20e7b8 with a body that is not Atlas error JSON"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_time_budget_returns_at_once() {
    let server = scripted::start(vec![
        reply_json(429, &[("Retry-After", "120")], RATE_LIMITED_BODY),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let client = token_client(&server.base_url, RetryPolicy::default());
    let started = tokio::time::Instant::now();
    let err = match client.get_group(GROUP_ID).await {
        Ok(_) => panic!("must give up"),
        Err(err) => err,
    };
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_a_timeout() {
    let server = scripted::start(vec![Reply::Hang]).await;
    let client = token_client(&server.base_url, RetryPolicy::none());
    let started = tokio::time::Instant::now();
    let err = match client.get_group(GROUP_ID).await {
        Ok(_) => panic!("nobody answers"),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.may_have_been_processed());
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert_eq!(
        err.to_string(),
        format!(
            "could not reach Atlas at {} for GET /api/atlas/v2/groups/{GROUP_ID}: timed out waiting for the answer",
            server.base_url.trim_start_matches("http://")
        )
    );
}

fn scripted_digest_client(base_url: &str) -> Client {
    let credentials = Credentials::Digest {
        public_key: "zmmrboas".into(),
        private_key: SecretString::from("55c3bbb6-b4bb-4be1-9e66-d20841f3e0aa"),
    };
    let mut config = Config::new(base_url, credentials, USER_AGENT);
    config.retry = RetryPolicy::none();
    Client::new(config).unwrap_or_else(|err| panic!("{err}"))
}

fn challenge(nonce: &str, stale: bool) -> Reply {
    let value = format!(
        r#"Digest realm="MMS Public API", domain="", nonce="{nonce}", algorithm=MD5, qop="auth", stale={stale}"#
    );
    reply_json(
        401,
        &[("WWW-Authenticate", value.as_str())],
        r#"{"error":401,"errorCode":"UNAUTHORIZED","reason":"Unauthorized"}"#,
    )
}

fn digest_field<'a>(authorization: &'a Option<String>, name: &str) -> Option<&'a str> {
    let header = authorization.as_deref()?;
    let start = header.find(&format!("{name}="))? + name.len() + 1;
    let rest = &header[start..];
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let end = rest.find(['"', ',']).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[tokio::test]
async fn digest_follows_a_stale_nonce_once_and_then_preempts_with_the_new_one() {
    let server = scripted::start(vec![
        challenge("nonceA", false),
        reply_json(200, &[], GROUP_BODY),
        challenge("nonceB", true),
        reply_json(200, &[], GROUP_BODY),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let client = scripted_digest_client(&server.base_url);
    for _ in 0..3 {
        ok(client.get_group(GROUP_ID).await, "get_group");
    }
    let seen = server.seen();
    let nonces: Vec<(Option<&str>, Option<&str>)> = seen
        .iter()
        .map(|request| {
            (
                digest_field(&request.authorization, "nonce"),
                digest_field(&request.authorization, "nc"),
            )
        })
        .collect();
    assert_eq!(
        nonces,
        vec![
            (None, None),
            (Some("nonceA"), Some("00000001")),
            (Some("nonceA"), Some("00000002")),
            (Some("nonceB"), Some("00000001")),
            (Some("nonceB"), Some("00000002")),
        ]
    );
    for request in &seen[1..] {
        assert_eq!(digest_field(&request.authorization, "username"), Some("zmmrboas"));
        assert_eq!(digest_field(&request.authorization, "realm"), Some("MMS Public API"));
        assert_eq!(digest_field(&request.authorization, "qop"), Some("auth"));
        assert_eq!(
            digest_field(&request.authorization, "uri"),
            Some(format!("/api/atlas/v2/groups/{GROUP_ID}").as_str())
        );
        assert!(!request
            .authorization
            .as_deref()
            .unwrap_or_default()
            .contains("55c3bbb6"));
    }
}

#[tokio::test]
async fn digest_resends_the_same_body_and_signs_the_query() {
    let server = scripted::start(vec![
        challenge("n1", false),
        reply_json(200, &[], KEY_BODY),
        reply_json(200, &[], r#"{"results":[],"totalCount":0}"#),
    ])
    .await;
    let client = scripted_digest_client(&server.base_url);
    ok(client.create_api_key(ORG_ID, &create_body()).await, "create");
    ok(client.list_api_keys_page(ORG_ID, 2, 50).await, "page");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].body, seen[1].body);
    assert_eq!(seen[1].body, r#"{"desc":"d","roles":["ORG_MEMBER"]}"#);
    assert_eq!(
        seen[2].target,
        format!("/api/atlas/v2/orgs/{ORG_ID}/apiKeys?pageNum=2&itemsPerPage=50")
    );
    assert_eq!(
        digest_field(&seen[2].authorization, "uri"),
        Some(seen[2].target.as_str())
    );
}

#[tokio::test]
async fn malformed_digest_challenge_is_an_auth_error() {
    let malformed = reply_json(
        401,
        &[("WWW-Authenticate", r#"Digest realm="MMS Public API", algorithm=MD5"#)],
        "{}",
    );
    let server = scripted::start(vec![malformed]).await;
    let client = scripted_digest_client(&server.base_url);
    let err = match client.get_group(GROUP_ID).await {
        Ok(_) => panic!("no nonce, no answer"),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("Atlas sent a digest challenge this client cannot answer for GET"),
        "{err}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_401_without_challenge_is_not_retried() {
    let server = scripted::start(vec![reply_json(
        401,
        &[],
        r#"{"error":401,"errorCode":"NOT_IN_GROUP","detail":"Not in group.","reason":"Unauthorized"}"#,
    )])
    .await;
    let client = scripted_digest_client(&server.base_url);
    let err = match client.get_group(GROUP_ID).await {
        Ok(_) => panic!("rejected"),
        Err(err) => err,
    };
    assert_eq!(err.error_code(), Some("NOT_IN_GROUP"));
    assert_eq!(
        err.to_string(),
        format!("Atlas rejected the credentials with 401 NOT_IN_GROUP for GET /api/atlas/v2/groups/{GROUP_ID}: Not in group")
    );
    assert_eq!(server.seen().len(), 1);
}

fn token_reply(token: &str) -> Reply {
    let body = format!(r#"{{"access_token":"{token}","expires_in":3600,"token_type":"Bearer"}}"#);
    reply_json(200, &[], &body)
}

fn service_account_client(base_url: &str) -> Client {
    let credentials = Credentials::ServiceAccount {
        client_id: "mdb_sa_id_0123".into(),
        client_secret: SecretString::from("mdb_sa_sk_secret"),
    };
    let mut config = Config::new(base_url, credentials, USER_AGENT);
    config.retry = RetryPolicy::none();
    Client::new(config).unwrap_or_else(|err| panic!("{err}"))
}

#[tokio::test(start_paused = true)]
async fn service_account_token_is_cached_refreshed_before_expiry_and_replaced_after_a_401() {
    let server = scripted::start(vec![
        token_reply("t1"),
        reply_json(200, &[], GROUP_BODY),
        reply_json(200, &[], GROUP_BODY),
        // After 55 minutes the token has less than a tenth of its hour left.
        token_reply("t2"),
        reply_json(200, &[], GROUP_BODY),
        // Revoked behind our back: one new token, one replay.
        reply_json(
            401,
            &[],
            r#"{"error":401,"errorCode":"UNAUTHORIZED","reason":"Unauthorized"}"#,
        ),
        token_reply("t3"),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let client = service_account_client(&server.base_url);
    ok(client.get_group(GROUP_ID).await, "first");
    tokio::time::sleep(Duration::from_secs(30 * 60)).await;
    ok(client.get_group(GROUP_ID).await, "cached token");
    tokio::time::sleep(Duration::from_secs(25 * 60)).await;
    ok(client.get_group(GROUP_ID).await, "refreshed token");
    ok(client.get_group(GROUP_ID).await, "after revocation");
    let seen = server.seen();
    let calls: Vec<String> = seen
        .iter()
        .map(|request| {
            let auth = request.authorization.as_deref().unwrap_or("none");
            let scheme = auth.split(' ').next().unwrap_or("none");
            let shown = if scheme == "Bearer" {
                auth.to_owned()
            } else {
                scheme.to_owned()
            };
            format!("{} {} {shown}", request.method, request.target)
        })
        .collect();
    let group = format!("GET /api/atlas/v2/groups/{GROUP_ID}");
    assert_eq!(
        calls,
        vec![
            "POST /api/oauth/token Basic".to_owned(),
            format!("{group} Bearer t1"),
            format!("{group} Bearer t1"),
            "POST /api/oauth/token Basic".to_owned(),
            format!("{group} Bearer t2"),
            format!("{group} Bearer t2"),
            "POST /api/oauth/token Basic".to_owned(),
            format!("{group} Bearer t3"),
        ]
    );
    let token_request = &seen[0];
    assert_eq!(token_request.body, "grant_type=client_credentials");
    assert_eq!(
        token_request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(token_request.accept.as_deref(), Some("application/json"));
}

#[tokio::test(start_paused = true)]
async fn max_concurrent_requests_limits_requests_in_flight() {
    let slow = || match reply_json(200, &[], GROUP_BODY) {
        Reply::Raw(text) => Reply::Delayed(Duration::from_secs(10), text),
        other => other,
    };
    let server = scripted::start((0..4).map(|_| slow()).collect()).await;
    let mut config = Config::new(
        &server.base_url,
        Credentials::AccessToken(SecretString::from("t")),
        USER_AGENT,
    );
    config.max_concurrent_requests = 2;
    let client = Client::new(config).unwrap_or_else(|err| panic!("{err}"));
    let started = tokio::time::Instant::now();
    let calls = (0..4).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_group(GROUP_ID).await })
    });
    for joined in futures::future::join_all(calls).await {
        ok(joined.unwrap_or_else(|err| panic!("task: {err}")), "slow get");
    }
    // Two waves of two requests, ten seconds each.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(20) && waited < Duration::from_secs(30),
        "{waited:?}"
    );
    assert_eq!(server.seen().len(), 4);
}

#[tokio::test]
async fn service_account_fetches_one_token_for_concurrent_calls() {
    let running = emulator().await;
    let client = client_with(
        &running,
        Credentials::ServiceAccount {
            client_id: running.seed.client_id.clone(),
            client_secret: SecretString::from(running.seed.client_secret.clone()),
        },
    );
    clear_request_log(&running).await;
    let org_id = running.seed.org_id.clone();
    let calls = (0..8).map(|_| {
        let client = client.clone();
        let org_id = org_id.clone();
        tokio::spawn(async move { client.list_api_keys_page(&org_id, 1, 5).await })
    });
    for joined in futures::future::join_all(calls).await {
        ok(joined.unwrap_or_else(|err| panic!("task: {err}")), "bearer call");
    }
    let log = request_log(&running).await;
    let lines = summary(&log);
    let token_fetches = log.iter().filter(|entry| entry["path"] == "/api/oauth/token").count();
    assert_eq!(token_fetches, 1, "{lines:#?}");
    assert_eq!(
        log.iter().filter(|entry| entry["auth"] == "bearer").count(),
        8,
        "{lines:#?}"
    );
    assert_eq!(
        log.iter().filter(|entry| entry["auth"] == "basic").count(),
        1,
        "{lines:#?}"
    );
}

#[tokio::test]
async fn wrong_client_secret_is_rejected_without_leaking_it() {
    let running = emulator().await;
    let wrong = "mdb_sa_sk_definitely_wrong";
    let client = client_with(
        &running,
        Credentials::ServiceAccount {
            client_id: running.seed.client_id.clone(),
            client_secret: SecretString::from(wrong),
        },
    );
    let err = match client.list_orgs().await {
        Ok(_) => panic!("wrong secret accepted"),
        Err(err) => err,
    };
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(err.error_code(), Some("invalid_client"));
    assert!(err
        .to_string()
        .starts_with("Atlas rejected the credentials with 401 invalid_client for POST /api/oauth/token"));
    assert!(!err.to_string().contains(wrong) && !format!("{err:?}").contains(wrong));
}

#[tokio::test]
async fn static_access_token_is_sent_as_bearer() {
    let running = emulator().await;
    // Mint a token the way a CI system would, then hand it to the client.
    let token: Value = reqwest::Client::new()
        .post(format!("{}/api/oauth/token", running.base_url()))
        .basic_auth(&running.seed.client_id, Some(&running.seed.client_secret))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap_or_else(|err| panic!("token: {err}"))
        .json()
        .await
        .unwrap_or_else(|err| panic!("token body: {err}"));
    let access_token = token["access_token"].as_str().unwrap_or_default().to_owned();
    assert!(!access_token.is_empty(), "{token}");
    let client = client_with(&running, Credentials::AccessToken(SecretString::from(access_token)));
    clear_request_log(&running).await;
    let group = ok(
        client.get_group(&running.seed.project_ids[0]).await,
        "get_group with a token",
    );
    assert_eq!(group.org_id, running.seed.org_id);
    let log = request_log(&running).await;
    assert_eq!(log.len(), 1, "{:#?}", summary(&log));
    assert_eq!(log[0]["auth"], "bearer");
}

async fn set_faults(running: &Running, plan: Value) {
    let url = format!("{}/__emulator/faults", running.base_url());
    let response = reqwest::Client::new()
        .post(&url)
        .json(&plan)
        .send()
        .await
        .unwrap_or_else(|err| panic!("set faults: {err}"));
    assert!(response.status().is_success(), "set faults: {}", response.status());
}

fn retrying_digest_client(running: &Running) -> Client {
    let config = Config::new(running.base_url(), digest_credentials(running), USER_AGENT);
    Client::new(config).unwrap_or_else(|err| panic!("client: {err}"))
}

#[tokio::test(start_paused = true)]
async fn emulator_429_is_waited_out_and_retried() {
    let running = emulator().await;
    let client = retrying_digest_client(&running);
    ok(client.list_orgs().await, "prime the digest challenge");
    set_faults(
        &running,
        json!({"rules": [{"kind": "rate_limit", "times": 2, "retry_after_secs": 4, "path_contains": "/apiKeys"}]}),
    )
    .await;
    clear_request_log(&running).await;
    let started = tokio::time::Instant::now();
    let created = ok(
        client
            .create_api_key(
                &running.seed.org_id,
                &CreateApiKey {
                    desc: "after throttling".into(),
                    roles: vec!["ORG_MEMBER".into()],
                },
            )
            .await,
        "create after two 429s",
    );
    assert!(is_full_uuid(&created.private_key));
    assert!(started.elapsed() >= Duration::from_secs(8), "{:?}", started.elapsed());
    let log = request_log(&running).await;
    let statuses: Vec<&Value> = log.iter().map(|entry| &entry["status"]).collect();
    assert_eq!(
        statuses,
        [&json!(429), &json!(429), &json!(200)],
        "{:#?}",
        summary(&log)
    );
    let keys = ok(client.list_api_keys(&running.seed.org_id).await, "list");
    assert_eq!(
        keys.iter()
            .filter(|key| key.desc.as_deref() == Some("after throttling"))
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn emulator_500_after_processing_a_create_is_not_replayed() {
    let running = emulator().await;
    let client = retrying_digest_client(&running);
    ok(client.list_orgs().await, "prime the digest challenge");
    set_faults(
        &running,
        json!({"rules": [{"kind": "fail", "status": 500, "phase": "after", "times": 1, "method": "POST"}]}),
    )
    .await;
    let err = match client
        .create_api_key(
            &running.seed.org_id,
            &CreateApiKey {
                desc: "ambiguous".into(),
                roles: vec!["ORG_MEMBER".into()],
            },
        )
        .await
    {
        Ok(_) => panic!("the fault must surface"),
        Err(err) => err,
    };
    assert_eq!(err.status(), Some(500));
    assert!(err.may_have_been_processed());
    // Atlas did create it: exactly one key, because the client did not try again.
    let keys = ok(client.list_api_keys(&running.seed.org_id).await, "list");
    assert_eq!(
        keys.iter()
            .filter(|key| key.desc.as_deref() == Some("ambiguous"))
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn emulator_html_502_on_reads_is_retried_until_success() {
    let running = emulator().await;
    let client = retrying_digest_client(&running);
    ok(client.list_orgs().await, "prime the digest challenge");
    set_faults(
        &running,
        json!({"rules": [{"kind": "fail", "status": 502, "times": 2, "method": "GET",
                          "body": "<html><body>502 Bad Gateway</body></html>"}]}),
    )
    .await;
    clear_request_log(&running).await;
    let group = ok(
        client.get_group(&running.seed.project_ids[0]).await,
        "get_group through 502s",
    );
    assert_eq!(group.org_id, running.seed.org_id);
    let log = request_log(&running).await;
    assert_eq!(log.len(), 3, "{:#?}", summary(&log));
}

const EMBED_LARGE: ModelGroupScope<'static> = ModelGroupScope {
    cloud: "ANY",
    geography: "ANY",
    model_group_name: "embed_large",
};

#[tokio::test]
async fn ai_model_rate_limit_operations() {
    let running = emulator().await;
    let client = digest_client(&running);
    let (group_id, org_id) = (running.seed.project_ids[0].as_str(), running.seed.org_id.as_str());

    let default = ok(client.get_ai_model_rate_limit(group_id, EMBED_LARGE).await, "get");
    assert_eq!(default.requests_per_minute_limit, Some(2000));
    assert_eq!(default.model_group_name.as_deref(), Some("embed_large"));
    assert_eq!(default.endpoint.as_deref(), Some("ai.mongodb.com"));
    assert!(!default.model_names.is_empty());
    let org = ok(client.get_org_ai_model_rate_limit(org_id, EMBED_LARGE).await, "org get");
    assert_eq!(org, default, "a project starts at its organization's limit");

    let set = UpdateAiModelRateLimit {
        requests_per_minute_limit: 1200,
        tokens_per_minute_limit: 2_500_000,
    };
    let updated = ok(
        client.update_ai_model_rate_limit(group_id, EMBED_LARGE, &set).await,
        "update",
    );
    assert_eq!(updated.requests_per_minute_limit, Some(1200));
    assert_eq!(updated.tokens_per_minute_limit, Some(2_500_000));
    assert_eq!(
        ok(
            client.get_ai_model_rate_limit_opt(group_id, EMBED_LARGE).await,
            "get_opt"
        ),
        Some(updated.clone())
    );
    let listed = ok(client.list_ai_model_rate_limits(group_id).await, "list");
    assert_eq!(listed.len(), 4);
    assert!(listed.contains(&updated));
    let page = ok(client.list_ai_model_rate_limits_page(group_id, 2, 3).await, "page");
    assert_eq!((page.results.len(), page.total_count), (1, Some(4)));
    let org_limits = ok(client.list_org_ai_model_rate_limits(org_id).await, "org list");
    assert!(org_limits.contains(&default), "the organization keeps its limit");
    let org_page = ok(
        client.list_org_ai_model_rate_limits_page(org_id, 1, 2).await,
        "org page",
    );
    assert_eq!(org_page.results.len(), 2);

    let too_much = UpdateAiModelRateLimit {
        requests_per_minute_limit: 2001,
        tokens_per_minute_limit: 1,
    };
    let err = match client
        .update_ai_model_rate_limit(group_id, EMBED_LARGE, &too_much)
        .await
    {
        Ok(limit) => panic!("above the org limit accepted: {limit:?}"),
        Err(err) => err,
    };
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.error_code(), Some("VALIDATION_ERROR"));
    assert!(!err.is_not_found() && !err.may_have_been_processed());
    let fields = err.api().map(|api| api.fields.clone()).unwrap_or_default();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "requestsPerMinuteLimit");
    assert!(
        fields[0].description.contains("organization's limit of 2000"),
        "{fields:?}"
    );

    let reset = ok(client.reset_ai_model_rate_limit(group_id, EMBED_LARGE).await, "reset");
    assert_eq!(reset, default);
    ok(
        client.update_ai_model_rate_limit(group_id, EMBED_LARGE, &set).await,
        "set again",
    );
    let all = ok(client.reset_ai_model_rate_limits(group_id).await, "reset all");
    assert_eq!(all.len(), 4);
    assert!(all.contains(&default));

    let unknown = ModelGroupScope {
        model_group_name: "embed_huge",
        ..EMBED_LARGE
    };
    assert_eq!(
        ok(
            client.get_ai_model_rate_limit_opt(group_id, unknown).await,
            "unknown group"
        ),
        None
    );
    assert_eq!(
        ok(
            client.get_org_ai_model_rate_limit_opt(org_id, unknown).await,
            "unknown org group"
        ),
        None
    );
    let err = match client.reset_ai_model_rate_limit(group_id, unknown).await {
        Ok(limit) => panic!("reset of an unknown group: {limit:?}"),
        Err(err) => err,
    };
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test(start_paused = true)]
async fn reset_is_retried_after_a_500_unlike_a_create() {
    let running = emulator().await;
    let client = retrying_digest_client(&running);
    ok(client.list_orgs().await, "prime the digest challenge");
    set_faults(
        &running,
        json!({"rules": [{"kind": "fail", "status": 500, "phase": "after", "times": 1, "method": "POST"}]}),
    )
    .await;
    clear_request_log(&running).await;
    let group_id = running.seed.project_ids[0].as_str();
    let reset = ok(client.reset_ai_model_rate_limit(group_id, EMBED_LARGE).await, "reset");
    assert_eq!(reset.requests_per_minute_limit, Some(2000));
    let log = request_log(&running).await;
    let statuses: Vec<&Value> = log.iter().map(|entry| &entry["status"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(200)], "{:#?}", summary(&log));
}

/// Number of `401` answers and of all entries in `log`.
fn challenges_and_total(log: &[Value]) -> (usize, usize) {
    (log.iter().filter(|entry| entry["status"] == 401).count(), log.len())
}

#[tokio::test]
async fn fifty_concurrent_first_calls_cost_one_digest_challenge() {
    let running = emulator().await;
    let mut config = Config::new(running.base_url(), digest_credentials(&running), USER_AGENT);
    config.retry = RetryPolicy::none();
    config.max_concurrent_requests = 50;
    let client = Client::new(config).unwrap_or_else(|err| panic!("client: {err}"));
    let org_id = running.seed.org_id.clone();
    clear_request_log(&running).await;

    const CALLS: usize = 50;
    let calls = (0..CALLS).map(|_| {
        let client = client.clone();
        let org_id = org_id.clone();
        tokio::spawn(async move { client.list_api_keys_page(&org_id, 1, 10).await })
    });
    for joined in futures::future::join_all(calls).await {
        ok(
            joined.unwrap_or_else(|err| panic!("task: {err}")),
            "concurrent first call",
        );
    }
    let log = request_log(&running).await;
    assert_eq!(challenges_and_total(&log), (1, CALLS + 1), "{:#?}", summary(&log));
    assert_eq!(log[0]["auth"], "none", "only the leader goes out bare");
}

#[tokio::test]
async fn an_expired_nonce_is_renewed_once_then_concurrent_calls_share_the_new_one() {
    let running = emulator().await;
    let client = digest_client(&running);
    let org_id = running.seed.org_id.clone();
    ok(client.list_orgs().await, "prime the nonce");
    let url = format!("{}/__emulator/nonces/expire", running.base_url());
    let expired = reqwest::Client::new()
        .post(&url)
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert!(matches!(expired, Ok(204)), "{expired:?}");
    clear_request_log(&running).await;

    ok(client.list_orgs().await, "the call that meets the stale nonce");
    const CALLS: usize = 30;
    let calls = (0..CALLS).map(|_| {
        let client = client.clone();
        let org_id = org_id.clone();
        tokio::spawn(async move { client.list_api_keys_page(&org_id, 1, 10).await })
    });
    for joined in futures::future::join_all(calls).await {
        ok(joined.unwrap_or_else(|err| panic!("task: {err}")), "concurrent call");
    }
    let log = request_log(&running).await;
    // One stale 401 and its answer, then one request per call.
    assert_eq!(challenges_and_total(&log), (1, CALLS + 2), "{:#?}", summary(&log));
    assert_eq!(log[0]["status"], 401);
    assert_eq!(log[0]["auth"], "digest");
}

/// Waits until `server` has seen `count` requests.
async fn until_seen(server: &scripted::Server, count: usize) {
    for _ in 0..500 {
        if server.seen().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server saw {} requests, expected {count}", server.seen().len());
}

#[tokio::test]
async fn a_call_started_during_a_renewal_waits_for_the_accepted_answer() {
    let server = scripted::start(vec![
        challenge("nonceA", false),
        reply_json(200, &[], GROUP_BODY),
        challenge("nonceB", true),
        Reply::Delayed(Duration::from_millis(300), scripted_body(200, GROUP_BODY)),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let client = scripted_digest_client(&server.base_url);
    ok(client.get_group(GROUP_ID).await, "prime");
    let renewing = {
        let client = client.clone();
        tokio::spawn(async move { client.get_group(GROUP_ID).await })
    };
    // nonceA was refused and the answer to nonceB is on its way: a new call must neither
    // answer nonceA again nor overtake the answer to nonceB.
    until_seen(&server, 4).await;
    ok(client.get_group(GROUP_ID).await, "the call started during the renewal");
    ok(
        renewing.await.unwrap_or_else(|err| panic!("{err}")),
        "the renewing call",
    );
    let sent: Vec<_> = server
        .seen()
        .iter()
        .map(|request| {
            (
                digest_field(&request.authorization, "nonce").map(str::to_owned),
                digest_field(&request.authorization, "nc").map(str::to_owned),
            )
        })
        .collect();
    let pair = |nonce: &str, nc: &str| (Some(nonce.to_owned()), Some(nc.to_owned()));
    assert_eq!(
        sent,
        [
            (None, None),
            pair("nonceA", "00000001"),
            pair("nonceA", "00000002"),
            pair("nonceB", "00000001"),
            pair("nonceB", "00000002"),
        ]
    );
}

/// The raw text of a JSON response, for [`Reply::Delayed`].
fn scripted_body(status: u16, body: &str) -> String {
    match reply_json(status, &[], body) {
        Reply::Raw(text) => text,
        _ => unreachable!("json replies are raw"),
    }
}

#[tokio::test]
async fn a_leader_that_times_out_hands_over_and_the_waiters_finish() {
    let server = scripted::start(vec![
        Reply::Hang,
        challenge("nonceA", false),
        reply_json(200, &[], GROUP_BODY),
        reply_json(200, &[], GROUP_BODY),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let credentials = Credentials::Digest {
        public_key: "zmmrboas".into(),
        private_key: SecretString::from("55c3bbb6-b4bb-4be1-9e66-d20841f3e0aa"),
    };
    let mut config = Config::new(&server.base_url, credentials, USER_AGENT);
    config.retry = RetryPolicy::none();
    config.request_timeout = Duration::from_millis(500);
    let client = Client::new(config).unwrap_or_else(|err| panic!("{err}"));
    let leader = {
        let client = client.clone();
        tokio::spawn(async move { client.get_group(GROUP_ID).await })
    };
    until_seen(&server, 1).await;
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_group(GROUP_ID).await })
        })
        .collect();
    let led = leader.await.unwrap_or_else(|err| panic!("{err}"));
    assert!(matches!(led, Err(Error::Timeout(_))), "{led:?}");
    for waiter in futures::future::join_all(waiters).await {
        ok(waiter.unwrap_or_else(|err| panic!("{err}")), "a waiter");
    }
    let seen = server.seen();
    let bare = seen.iter().filter(|request| request.authorization.is_none()).count();
    assert_eq!((bare, seen.len()), (2, 5), "the hung leader, then one new leader");
}

#[tokio::test]
async fn a_cancelled_leader_hands_over_and_a_cancelled_waiter_stops_waiting() {
    let server = scripted::start(vec![
        Reply::Hang,
        challenge("nonceA", false),
        reply_json(200, &[], GROUP_BODY),
    ])
    .await;
    let client = scripted_digest_client(&server.base_url);
    let leader_cancel = tokio_util::sync::CancellationToken::new();
    let leader = {
        let client = client.with_cancellation(leader_cancel.clone());
        tokio::spawn(async move { client.get_group(GROUP_ID).await })
    };
    until_seen(&server, 1).await;
    // A create waits for the challenge like any call, and gives up waiting when cancelled.
    let create_cancel = tokio_util::sync::CancellationToken::new();
    let create = {
        let client = client.with_cancellation(create_cancel.clone());
        tokio::spawn(async move { client.create_api_key(ORG_ID, &create_body()).await })
    };
    let waiter = {
        let client = client.clone();
        tokio::spawn(async move { client.get_group(GROUP_ID).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    create_cancel.cancel();
    let cancelled = tokio::time::timeout(Duration::from_secs(5), create).await;
    assert!(matches!(cancelled, Ok(Ok(Err(Error::Cancelled)))), "{cancelled:?}");
    assert!(!waiter.is_finished(), "the other call still waits for the hung leader");
    leader_cancel.cancel();
    let led = tokio::time::timeout(Duration::from_secs(5), leader).await;
    assert!(matches!(led, Ok(Ok(Err(Error::Cancelled)))), "{led:?}");
    let took_over = tokio::time::timeout(Duration::from_secs(5), waiter).await;
    assert!(matches!(took_over, Ok(Ok(Ok(_)))), "{took_over:?}");
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "the create never went out");
    assert!(seen.iter().all(|request| request.method == "GET"));
}
