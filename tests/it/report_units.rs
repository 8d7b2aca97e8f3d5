//! Unit tests of `dcheck-report`'s pure functions (moved here from the
//! crate: a unit-test harness would build it a second time in `cargo
//! test`): value diffs, the ITF encoding, the message chart's network
//! changes and lanes.

mod diff {
    use dcheck_model::value::Value;
    use dcheck_report::diff::{changes, compact};

    fn map(values: &[i64]) -> Value {
        Value::Map(
            values
                .iter()
                .enumerate()
                .map(|(k, v)| (Value::Int(k as i64 + 1), Value::Int(*v)))
                .collect(),
        )
    }

    #[test]
    fn big_maps_fold_their_most_common_value() {
        assert_eq!(
            compact(&map(&[0, 0, 5, 0, 0, 0, 0])),
            "[3 |-> 5, any other key |-> 0]"
        );
        assert_eq!(compact(&map(&[0; 8])), "[every key |-> 0]");
        // Small maps and maps without a majority value print whole.
        assert_eq!(compact(&map(&[0, 0, 5])), "[1 |-> 0, 2 |-> 0, 3 |-> 5]");
        let mixed = map(&[1, 2, 3, 4, 5, 6, 1]);
        assert_eq!(compact(&mixed), mixed.to_string());
    }

    #[test]
    fn map_changes_are_reported_per_key() {
        let old = Value::Map(vec![
            (Value::Int(1), Value::Bool(false)),
            (Value::Int(2), Value::Bool(false)),
        ]);
        let new = Value::Map(vec![
            (Value::Int(1), Value::Bool(false)),
            (Value::Int(2), Value::Bool(true)),
        ]);
        let mut out = Vec::new();
        changes("m", &old, &new, &mut out);
        assert_eq!(
            out,
            vec![("m[2]".to_string(), Value::Bool(false), Value::Bool(true))]
        );
    }

    #[test]
    fn equal_values_have_no_changes() {
        let v = Value::Set(vec![Value::Int(1)]);
        let mut out = Vec::new();
        changes("s", &v, &v, &mut out);
        assert!(out.is_empty());
    }
}

mod itf {
    use dcheck_model::value::Value;
    use dcheck_report::itf::{normalize, value};
    use serde_json::json;

    #[test]
    fn values_follow_the_itf_encoding() {
        let rm = |i| Value::Variant {
            variant: "RM".into(),
            payload: vec![Value::Int(i)],
        };
        assert_eq!(value(&Value::Int(5)), json!(5));
        assert_eq!(
            value(&Value::Int(1 << 60)),
            json!({"#bigint": (1i64 << 60).to_string()})
        );
        assert_eq!(value(&rm(1)), json!({"tag": "RM", "value": 1}));
        assert_eq!(
            value(&Value::Variant {
                variant: "Commit".into(),
                payload: vec![]
            }),
            json!({"tag": "Commit", "value": {}})
        );
        assert_eq!(
            value(&Value::Set(vec![Value::Int(1), Value::Int(2)])),
            json!({"#set": [1, 2]})
        );
        assert_eq!(
            value(&Value::Map(vec![(Value::Int(1), Value::Bool(true))])),
            json!({"#map": [[1, true]]})
        );
        assert_eq!(
            value(&Value::Multiset(vec![(rm(2), 3)])),
            json!({"#map": [[{"tag": "RM", "value": 2}, 3]]})
        );
        assert_eq!(
            value(&Value::Tuple(vec![Value::Int(1), Value::Bool(false)])),
            json!({"#tup": [1, false]})
        );
        assert_eq!(value(&Value::Seq(vec![Value::Int(3)])), json!([3]));
    }

    #[test]
    fn normalize_ignores_set_order_and_bigint_spelling() {
        let a = json!({"#set": [{"#bigint": "2"}, 1]});
        let b = json!({"#set": [1, 2]});
        assert_eq!(normalize(&a), normalize(&b));
        let c = json!({"tag": "None", "value": {"#tup": []}});
        assert_eq!(normalize(&c), json!({"tag": "None", "value": {}}));
    }
}

mod events {
    use dcheck_model::value::Value;
    use dcheck_net::Processes;
    use dcheck_report::events::{lane_view, network_change, Event};

    fn p(r: &str, i: i64) -> Value {
        Value::Variant {
            variant: r.to_string(),
            payload: vec![Value::Int(i)],
        }
    }

    fn msg(n: &str, k: i64) -> Value {
        Value::Variant {
            variant: n.into(),
            payload: vec![Value::Int(k)],
        }
    }

    #[test]
    fn fifo_queue_change_is_a_pop_and_an_append() {
        let key = Value::Tuple(vec![p("A", 1), p("B", 1)]);
        let q = |ms: &[i64]| {
            vec![(
                "chan".to_string(),
                Value::Map(vec![(
                    key.clone(),
                    Value::Seq(ms.iter().map(|k| msg("M", *k)).collect()),
                )]),
            )]
        };
        let (removed, added) = network_change(&q(&[1, 2]), &q(&[2, 3]));
        assert_eq!(removed, vec![(p("A", 1), p("B", 1), msg("M", 1))]);
        assert_eq!(added, vec![(p("A", 1), p("B", 1), msg("M", 3))]);
    }

    #[test]
    fn lane_view_draws_arrows_between_lifelines() {
        let procs = Processes {
            roles: vec![("A".into(), vec![]), ("B".into(), vec![])],
            handlers: vec![],
        };
        let evs = vec![
            vec![],
            vec![Event::Send {
                from: p("B", 1),
                to: p("A", 1),
                msg: msg("M", 1),
            }],
        ];
        let v = lane_view(&evs, &procs, 80);
        let lines: Vec<&str> = v.lines().collect();
        assert!(lines[0].find("A(1)") < lines[0].find("B(1)"), "{v}");
        assert!(lines[1].contains("|<") && lines[1].contains("M(1)"), "{v}");
    }
}
