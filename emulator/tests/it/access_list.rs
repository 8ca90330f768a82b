//! API key access lists and `getSystemStatus`: the POST takes an array and answers the whole
//! list, validation with Atlas's error codes, `%2F`-encoded CIDRs in paths, an address and its
//! `/32` are one entry, silent success on an existing entry, entries die with their key, the
//! admin routes, and the caller's key with its roles and access list in the system status.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Api, V2023};

async fn new_key(api: &mut Api) -> String {
    let created = api
        .post(
            &api.org_path("/apiKeys"),
            json!({"desc": "listed", "roles": ["ORG_MEMBER"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    created.body["id"].as_str().unwrap_or_default().to_owned()
}

fn cidrs(list: &Value) -> Vec<String> {
    list["results"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["cidrBlock"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn create_list_get_and_delete_entries() {
    let mut api = Api::new();
    let key = new_key(&mut api).await;
    let list = api.org_path(&format!("/apiKeys/{key}/accessList"));
    let created = api
        .post(
            &list,
            json!([{"ipAddress": "203.0.113.10"}, {"cidrBlock": "10.1.0.0/16"}, {"cidrBlock": "2001:db8::/48"}]),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    assert_eq!(created.header("content-type"), V2023);
    assert_eq!(
        cidrs(&created.body),
        ["203.0.113.10/32", "10.1.0.0/16", "2001:db8::/48"]
    );
    assert_eq!(created.body["totalCount"], 3);
    let single = &created.body["results"][0];
    assert_eq!(single["ipAddress"], "203.0.113.10");
    assert!(single["created"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert!(single.get("count").is_none() && single.get("lastUsed").is_none());
    assert!(
        created.body["results"][1].get("ipAddress").is_none(),
        "a range has no ipAddress"
    );

    // The same POST again succeeds and changes nothing.
    let again = api.post(&list, json!([{"cidrBlock": "203.0.113.10/32"}])).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.body["results"], created.body["results"]);

    // One page of the list.
    let page = api.get(&format!("{list}?pageNum=2&itemsPerPage=2")).await;
    assert_eq!(cidrs(&page.body), ["2001:db8::/48"]);
    assert_eq!(page.body["totalCount"], 3);

    // An address and its /32 are one entry; a CIDR needs %2F in the path.
    for segment in ["203.0.113.10", "203.0.113.10%2F32", "203.0.113.10%2f32"] {
        let got = api.get(&format!("{list}/{segment}")).await;
        assert_eq!(got.status, StatusCode::OK, "{segment}: {got:?}");
        assert_eq!(got.body, single.clone(), "{segment}");
    }
    let range = api.get(&format!("{list}/10.1.0.0%2F16")).await;
    assert_eq!(range.body["cidrBlock"], "10.1.0.0/16");
    assert_eq!(
        range.body["links"][0]["href"],
        format!("http://emulator.test{list}/10.1.0.0%2F16")
    );
    let raw_slash = api.get(&format!("{list}/10.1.0.0/16")).await;
    assert_eq!(
        (raw_slash.status, raw_slash.code()),
        (StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND")
    );
    let v6 = api.get(&format!("{list}/2001%3Adb8%3A%3A%2F48")).await;
    assert_eq!(v6.status, StatusCode::OK, "{v6:?}");

    let deleted = api.delete(&format!("{list}/10.1.0.0%2F16")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = api.get(&format!("{list}/10.1.0.0%2F16")).await;
    assert_eq!(
        (gone.status, gone.code()),
        (StatusCode::NOT_FOUND, "API_KEY_WHITELIST_NOT_FOUND")
    );
    let again = api.delete(&format!("{list}/10.1.0.0%2F16")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let bad = api.get(&format!("{list}/not-an-ip")).await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "PATH_PARAM_PARSE_ERROR")
    );
}

#[tokio::test]
async fn create_validates_like_atlas() {
    let mut api = Api::new();
    let key = new_key(&mut api).await;
    let list = api.org_path(&format!("/apiKeys/{key}/accessList"));
    let cases = [
        (json!({"ipAddress": "10.0.0.1"}), "INVALID_JSON"),
        (
            json!([{"ipAddress": "10.0.0.1", "cidrBlock": "10.0.0.1/32"}]),
            "MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY",
        ),
        (json!([{}]), "INVALID_IP_ADDRESS_OR_CIDR_NOTATION"),
        (
            json!([{"ipAddress": "10.0.0.256"}]),
            "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
        ),
        (
            json!([{"ipAddress": "10.0.0.0/24"}]),
            "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
        ),
        (json!([{"cidrBlock": "10.0.0.0/33"}]), "INVALID_CIDR_BLOCK"),
        (json!([{"cidrBlock": "10.0.0.1/24"}]), "INVALID_CIDR_BLOCK"),
        (
            json!([{"ipAddress": "10.0.0.1"}, {"cidrBlock": "10.0.0.1/32"}]),
            "DUPLICATE_ADDRESSES_IN_INPUT",
        ),
        (json!([{"comment": "x"}]), "INVALID_ATTRIBUTE"),
    ];
    for (body, code) in cases {
        let response = api.post(&list, body.clone()).await;
        assert_eq!(
            (response.status, response.code()),
            (StatusCode::BAD_REQUEST, code),
            "{body}"
        );
    }
    let non_canonical = api.post(&list, json!([{"cidrBlock": "10.0.0.1/24"}])).await;
    assert!(non_canonical.body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("10.0.0.0/24"));
    let listed = api.get(&list).await;
    assert_eq!(listed.body["results"], json!([]), "nothing was added");

    let missing = api
        .post(
            &api.org_path("/apiKeys/0123456789abcdef01234567/accessList"),
            json!([{"ipAddress": "10.0.0.1"}]),
        )
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "API_KEY_NOT_FOUND")
    );
    let malformed = api.get(&api.org_path("/apiKeys/zmmrboas/accessList")).await;
    assert_eq!(malformed.code(), "PATH_PARAM_PARSE_ERROR");
}

#[tokio::test]
async fn entries_go_with_their_key_and_admin_routes_change_them() {
    let mut api = Api::new();
    let key = new_key(&mut api).await;
    let admin = format!("/__emulator/orgs/{}/apiKeys/{key}/accessList", api.seed.org_id);
    let added = api
        .admin(
            Method::POST,
            &admin,
            Some(json!({"ipAddress": "198.51.100.7", "count": 3, "lastUsedAddress": "198.51.100.7"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{added:?}");
    let list = api.org_path(&format!("/apiKeys/{key}/accessList"));
    let got = api.get(&format!("{list}/198.51.100.7")).await;
    assert_eq!(got.body["count"], 3);
    assert_eq!(got.body["lastUsedAddress"], "198.51.100.7");
    assert!(got.body["lastUsed"].is_string());
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    let keys = state.body["api_keys"].as_array().cloned().unwrap_or_default();
    let listed = keys
        .iter()
        .find(|k| k["id"] == key.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed["access_list"], json!(["198.51.100.7/32"]));

    let removed = api
        .admin(Method::DELETE, &format!("{admin}/198.51.100.7%2F32"), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&list).await.body["results"], json!([]));

    api.post(&list, json!([{"ipAddress": "198.51.100.8"}])).await;
    let deleted = api.delete(&api.org_path(&format!("/apiKeys/{key}"))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let state = api.state.clone();
    assert!(state.with_store(|store| !store.access_lists.contains_key(&key)));
}

#[tokio::test]
async fn system_status_shows_the_calling_key() {
    let mut api = Api::new();
    let key = api
        .state
        .with_store(|store| store.key_by_public(&api.seed.public_key).map(|k| k.id.clone()));
    let key = key.unwrap_or_default();
    let list = api.org_path(&format!("/apiKeys/{key}/accessList"));
    api.post(&list, json!([{"ipAddress": "203.0.113.10"}])).await;
    let status = api.get("/api/atlas/v2").await;
    assert_eq!(status.status, StatusCode::OK, "{status:?}");
    assert_eq!(status.header("content-type"), V2023);
    assert_eq!(status.body["appName"], "MongoDB Atlas");
    assert_eq!(status.body["throttling"], false);
    assert_eq!(status.body["build"].as_str().map(str::len), Some(40));
    let api_key = &status.body["apiKey"];
    assert_eq!(api_key["id"], key.as_str());
    assert_eq!(api_key["publicKey"], api.seed.public_key.as_str());
    assert_eq!(
        api_key["roles"],
        json!([{"orgId": api.seed.org_id, "roleName": "ORG_OWNER"}])
    );
    assert_eq!(
        api_key["accessList"],
        json!([{"cidrBlock": "203.0.113.10/32", "ipAddress": "203.0.113.10"}])
    );
    assert!(!status.text.contains(&api.seed.private_key));

    let token = api.token().await;
    api.use_bearer(token);
    let by_account = api.get("/api/atlas/v2").await;
    assert_eq!(by_account.status, StatusCode::OK);
    assert!(by_account.body["apiKey"].is_null(), "a service account is no API key");
    let unknown = api.get("/api/atlas/v2?includeCount=false").await;
    assert_eq!(unknown.code(), "INVALID_QUERY_PARAMETER");
}
