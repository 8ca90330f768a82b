//! End-to-end harness: the real `terraform` CLI, our built provider through dev_overrides,
//! and an in-process Atlas emulator, in a temp dir per test.
//!
//! Terraform runs with `TF_CLI_CONFIG_FILE` pointing at a dev_overrides config,
//! `CHECKPOINT_DISABLE=1` and no `terraform init`. A missing `terraform` fails the test with
//! a message saying how to install it; nothing is skipped.
//!
//! [`scripted`] is a hand-written HTTP server with canned answers, for tests that need exact
//! control of each response (retries, Digest challenges, token refresh).

pub mod scripted;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as Json;

/// Sends SIGINT to the process group of `child` (started by [`World::spawn_terraform`]): what a
/// terminal's Ctrl-C does to terraform and the providers it started.
pub fn interrupt(child: &std::process::Child) {
    let group = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    assert!(group > 1, "refusing to signal process group {group}");
    // SAFETY: kill(2) with a negative pid signals that process group; it touches no memory.
    let sent = unsafe { libc::kill(-group, libc::SIGINT) };
    assert_eq!(
        sent,
        0,
        "SIGINT to terraform's process group: {}",
        std::io::Error::last_os_error()
    );
}

/// Waits for `child` and collects what it printed.
pub fn finish(child: std::process::Child) -> Run {
    let output = child.wait_with_output().expect("wait for terraform");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The result of one terraform command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything the command printed.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// One test's world: an emulator, a working directory and the terraform environment.
pub struct World {
    pub emulator: atlas_emulator::Running,
    pub dir: tempfile::TempDir,
    http: reqwest::blocking::Client,
    extra_env: Vec<(String, Option<String>)>,
}

/// Fails the test with install instructions when terraform is missing.
pub fn terraform_binary() -> &'static str {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let ok = Command::new("terraform")
            .arg("version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "the end-to-end tests need the terraform CLI (1.11 or later) on PATH: \
             install it from https://developer.hashicorp.com/terraform/install"
        );
    });
    "terraform"
}

/// The directory holding the provider binary Cargo built for these tests.
fn plugin_dir() -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"));
    binary.parent().expect("binary has a parent directory").to_path_buf()
}

impl World {
    /// Starts an emulator and prepares an empty working directory.
    pub fn new() -> World {
        World::with_options(atlas_emulator::Options::default())
    }

    /// [`World::new`] with an emulator started with `options` (such as HTTPS); the admin
    /// routes trust the emulator's CA, terraform does only when a test says so.
    pub fn with_options(options: atlas_emulator::Options) -> World {
        terraform_binary();
        let emulator = atlas_emulator::start_in_background(options).expect("start emulator");
        let mut http = reqwest::blocking::Client::builder();
        if let Some(tls) = &emulator.tls {
            http = http.add_root_certificate(reqwest::Certificate::from_pem(tls.ca_pem.as_bytes()).expect("CA pem"));
        }
        let http = http.build().expect("admin client");
        let dir = tempfile::tempdir().expect("temp dir");
        let config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"mongodb/mongodbatlas\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            plugin_dir().display()
        );
        std::fs::write(dir.path().join("terraformrc"), config).expect("write CLI config");
        World {
            emulator,
            dir,
            http,
            extra_env: Vec::new(),
        }
    }

    pub fn org_id(&self) -> String {
        self.emulator.seed.org_id.clone()
    }

    pub fn project_id(&self, index: usize) -> String {
        self.emulator.seed.project_ids[index].clone()
    }

    /// Adds an environment variable to every later terraform run.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.push((key.to_string(), Some(value.to_string())));
    }

    /// Removes an environment variable from every later terraform run.
    pub fn unset_env(&mut self, key: &str) {
        self.extra_env.push((key.to_string(), None));
    }

    /// Logs every later terraform run at TF_LOG=trace into `trace.log` in the working directory.
    pub fn enable_trace(&mut self) {
        let log = self.dir.path().join("trace.log");
        self.set_env("TF_LOG", "trace");
        self.set_env("TF_LOG_PATH", log.to_str().expect("utf-8 temp path"));
    }

    /// Asserts the trace log exists and contains none of the emulator's credentials nor `more`.
    pub fn assert_no_secrets_in_trace(&self, more: &[&str]) {
        let trace = std::fs::read_to_string(self.dir.path().join("trace.log")).expect("trace log");
        assert!(
            trace.contains("provider.terraform-provider-mongodbatlas"),
            "the log covers the provider"
        );
        let seed = &self.emulator.seed;
        for secret in [seed.private_key.as_str(), seed.client_secret.as_str()]
            .iter()
            .chain(more)
        {
            assert!(
                !secret.is_empty() && !trace.contains(secret),
                "a secret leaked into the TF_LOG=trace log"
            );
        }
    }

    /// Writes `main.tf`: the provider header followed by `body`.
    pub fn write(&self, body: &str) {
        let header = format!(
            "terraform {{\n  required_providers {{\n    mongodbatlas = {{ source = \"mongodb/mongodbatlas\" }}\n  }}\n}}\n\n\
             provider \"mongodbatlas\" {{\n  base_url = \"{}\"\n}}\n\n",
            self.emulator.seed.base_url
        );
        std::fs::write(self.dir.path().join("main.tf"), header + body).expect("write main.tf");
    }

    /// Runs terraform in the working directory with the emulator's credentials in the environment.
    pub fn terraform(&self, args: &[&str]) -> Run {
        self.terraform_in(self.dir.path(), args)
    }

    /// Runs terraform in `dir` (for a second, fresh state).
    pub fn terraform_in(&self, dir: &Path, args: &[&str]) -> Run {
        let output = self.command(dir, args).output().expect("run terraform");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// terraform with `args` in `dir`: the dev_overrides CLI config, the emulator's credentials,
    /// no inherited logging or base URL, and every variable set with `set_env`.
    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(terraform_binary());
        command
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("terraformrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("MONGODB_ATLAS_PUBLIC_KEY", &self.emulator.seed.public_key)
            .env("MONGODB_ATLAS_PRIVATE_KEY", &self.emulator.seed.private_key)
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PATH")
            .env_remove("MONGODB_ATLAS_BASE_URL");
        for (key, value) in &self.extra_env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// Starts terraform in its own process group, as a shell starts a foreground job, so that
    /// [`interrupt`] can send SIGINT to it and its provider the way Ctrl-C in a terminal does.
    pub fn spawn_terraform(&self, args: &[&str]) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        self.command(self.dir.path(), args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start terraform")
    }

    /// Replaces the emulator's fault plan.
    pub fn set_faults(&self, plan: Json) {
        self.admin("POST", "/__emulator/faults", Some(plan));
    }

    /// The ids of the organization keys whose description starts with `prefix`, as Atlas holds them.
    pub fn key_ids_described(&self, prefix: &str) -> Vec<String> {
        self.ids_in_state_dump("api_keys", "desc", "id", prefix)
    }

    /// The ids of the AI model keys whose name starts with `prefix`, as Atlas holds them.
    pub fn ai_key_ids_named(&self, prefix: &str) -> Vec<String> {
        self.ids_in_state_dump("ai_model_api_keys", "name", "api_key_id", prefix)
    }

    /// `id_field` of the entries of `collection` in the emulator's state dump whose `text_field`
    /// starts with `prefix`.
    fn ids_in_state_dump(&self, collection: &str, text_field: &str, id_field: &str, prefix: &str) -> Vec<String> {
        self.atlas_state()[collection]
            .as_array()
            .unwrap_or_else(|| panic!("{collection} in the emulator state"))
            .iter()
            .filter(|entry| entry[text_field].as_str().is_some_and(|text| text.starts_with(prefix)))
            .filter_map(|entry| entry[id_field].as_str().map(str::to_string))
            .collect()
    }

    /// `api_key_id` of every resource in the state, one entry per resource instance.
    pub fn state_key_ids(&self) -> Vec<String> {
        let state = self.show_json();
        state["values"]["root_module"]["resources"]
            .as_array()
            .map(|resources| {
                resources
                    .iter()
                    .filter(|r| r["mode"] == "managed")
                    .filter_map(|r| r["values"]["api_key_id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub fn apply(&self) -> Run {
        let run = self.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        assert_eq!(run.code, 0, "apply failed:\n{}", run.output());
        run
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan(&self) -> Run {
        self.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"])
    }

    /// Asserts the configuration and Atlas agree: an empty plan, also after a refresh.
    pub fn assert_converged(&self) {
        let run = self.plan();
        assert_eq!(run.code, 0, "expected no changes:\n{}", run.output());
        let run = self.terraform(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
        assert_eq!(run.code, 0, "refresh failed:\n{}", run.output());
        let run = self.plan();
        assert_eq!(run.code, 0, "expected no changes after refresh:\n{}", run.output());
    }

    /// `terraform show -json` of the current state.
    pub fn show_json(&self) -> Json {
        let run = self.terraform(&["show", "-json"]);
        assert_eq!(run.code, 0, "show failed:\n{}", run.output());
        serde_json::from_str(&run.stdout).expect("show -json output")
    }

    /// The attribute values of the resource at `address` in the state.
    pub fn resource_values(&self, address: &str) -> Json {
        let state = self.show_json();
        find_resource(&state["values"]["root_module"], address)
            .unwrap_or_else(|| panic!("{address} not in state: {state:#}"))
    }

    /// The emulator's request log (API requests only).
    pub fn requests(&self) -> Vec<Json> {
        self.admin("GET", "/__emulator/requests", None)
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Clears the emulator's request log.
    pub fn clear_requests(&self) {
        self.admin("DELETE", "/__emulator/requests", None);
    }

    /// Mutating API requests (POST, PATCH, PUT, DELETE) in the log, as "METHOD path". Digest
    /// challenges (401, not processed: each provider process pays one) are left out.
    pub fn mutations(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|call| !call.starts_with("GET "))
            .collect()
    }

    /// "METHOD path" of every Atlas API request since the last `clear_requests`, in order,
    /// Digest challenges (one per provider process) left out.
    pub fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r["status"] != 401)
            .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/atlas")))
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// Asserts the mutating requests since the last `clear_requests` are `expected`, in any order.
    pub fn assert_mutations_in_any_order(&self, mut expected: Vec<String>) {
        let mut mutations = self.mutations();
        mutations.sort();
        expected.sort();
        assert_eq!(mutations, expected);
    }

    /// Calls an emulator admin route and returns its JSON answer (null for an empty body).
    pub fn admin(&self, method: &str, path: &str, body: Option<Json>) -> Json {
        let url = format!("{}{}", self.emulator.seed.base_url, path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("emulator admin request");
        let status = response.status();
        let text = response.text().unwrap_or_default();
        assert!(status.is_success(), "admin {url} answered {status}: {text}");
        if text.is_empty() {
            Json::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Json::String(text))
        }
    }

    /// A fresh access token for the seeded service account, from the emulator's token endpoint.
    pub fn admin_token(&self) -> String {
        let seed = &self.emulator.seed;
        let response = self
            .http
            .post(format!("{}/api/oauth/token", seed.base_url))
            .basic_auth(&seed.client_id, Some(&seed.client_secret))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .expect("token request");
        let body: Json = response.json().expect("token response");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// The emulator's full state dump.
    pub fn atlas_state(&self) -> Json {
        self.admin("GET", "/__emulator/state", None)
    }
}

fn find_resource(module: &Json, address: &str) -> Option<Json> {
    let resources = module["resources"].as_array()?;
    resources
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| r["values"].clone())
}

/// `text` with every run of whitespace made one space, so messages Terraform wrapped match.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
