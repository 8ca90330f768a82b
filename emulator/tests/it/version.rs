//! The emulator binary's `--version`.

use std::process::Command;

#[test]
fn version_prints_the_crate_version_and_exits_0() {
    let output = Command::new(env!("CARGO_BIN_EXE_atlas-emulator"))
        .arg("--version")
        .output()
        .expect("run the emulator binary");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        format!("atlas-emulator {}", env!("CARGO_PKG_VERSION"))
    );
}
