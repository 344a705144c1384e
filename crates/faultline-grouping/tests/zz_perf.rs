use faultline_grouping::*;
#[test]
fn perf() {
    let long = "Failed to process order 12345 for user bob@example.com at 2024-01-02T03:04:05Z via https://api.example.com/x id=3f2a9c1e-7d41-4c55-9a0b-12ab34cd56ef ".repeat(60);
    let t = std::time::Instant::now();
    let _ = parameterize_message("warm up 1");
    eprintln!("init: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let out = parameterize_message(&long);
    eprintln!(
        "long {} chars: {:?} -> {}",
        long.len(),
        t.elapsed(),
        &out[..120]
    );
    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(100);
    let t = std::time::Instant::now();
    let _ = parameterize_message(&words);
    eprintln!("words {} chars: {:?}", words.len(), t.elapsed());
    let p = format!(
        "{}/tests/golden/java-spring-chained.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let e: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let _ = group_event(&e, &GroupingConfig::default());
    let t = std::time::Instant::now();
    for _ in 0..200 {
        let _ = group_event(&e, &GroupingConfig::default());
        let _ = issue_metadata(&e);
    }
    eprintln!("java group+meta: {:?}/event", t.elapsed() / 200);
}
