//! When the child's environment is read: `Command::spawn` passes this
//! process's environment as it is at the spawn (std's behaviour), a
//! `Prepared` keeps the one of `prepare()`. One test alone in its binary:
//! it changes this process's environment, which no other thread may read
//! meanwhile.

use clonexec::{Command, Stdio};

fn child_sees(child: clonexec::Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn spawn_reads_the_environment_at_the_spawn_prepared_at_prepare() {
    const KEY: &str = "CLONEXEC_ENV_CAPTURE_TEST";
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo \"${CLONEXEC_ENV_CAPTURE_TEST-unset}\""])
        .stdout(Stdio::piped());
    let before = cmd.prepare().unwrap();

    // SAFETY: this test is alone in its binary: no other thread reads or
    // writes the environment.
    unsafe { std::env::set_var(KEY, "set after prepare") };
    let spawned = child_sees(cmd.spawn().unwrap());
    let prepared = child_sees(before.spawn().unwrap());
    let prepared_after = child_sees(cmd.prepare().unwrap().spawn().unwrap());
    // SAFETY: as above.
    unsafe { std::env::remove_var(KEY) };
    let removed = child_sees(cmd.spawn().unwrap());

    assert_eq!(spawned, "set after prepare\n");
    assert_eq!(
        prepared, "unset\n",
        "a Prepared keeps prepare()'s environment"
    );
    assert_eq!(prepared_after, "set after prepare\n");
    assert_eq!(removed, "unset\n");
}
