import Testing

/// Every test that runs the real local model, one suite at a time: a `centaur` command borrows a running llama.cpp
/// server of the same model (named in HOME/run/llama-server.json), so a test that starts and stops a server of its own
/// must not run beside one that borrowed it. scripts/test runs these after the rest (`--filter LocalModel`).
@Suite(.serialized)
struct LocalModelTests {}
