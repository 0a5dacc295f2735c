use rtclab_natlab::nat::NatSpec;
use rtclab_natlab::session::{Scenario, run};
use rtclab_natlab::theory::expected;

#[test]
fn probe() {
    let grid: Vec<String> = ["eim", "adm", "apdm"]
        .iter()
        .flat_map(|m| ["eif", "adf", "apdf"].iter().map(move |f| format!("{m}-{f}")))
        .collect();
    let mut n = 0;
    let mut bad = 0;
    for seed in [1u64, 7, 99] {
        for a in &grid {
            for b in &grid {
                for turn in [false] {
                    let (na, nb): (NatSpec, NatSpec) = (a.parse().unwrap(), b.parse().unwrap());
                    let r = run(&Scenario { nat_a: na, nat_b: nb, turn, seed, ..Scenario::default() }).unwrap();
                    let e = expected(na, nb, turn);
                    n += 1;
                    if e != r.outcome {
                        bad += 1;
                        println!("MISMATCH seed {seed} {a} x {b} turn={turn} expected {e:?} got {:?}", r.outcome);
                    }
                }
            }
        }
    }
    println!("{n} runs, {bad} mismatches");
}
