//! The default model on what real pages throw at it: documents that are not
//! about programs at all, boilerplate that says nothing about the labels,
//! and `intelligence`, which rests on one explicit requirement sentence.
//! Counterfactual pairs change one thing in a document and check that the
//! right score moves, and only that one.

use assert_cmd::Command;
use docclass::eval::evaluate;
use docclass::model::{default_model, Classifier};

fn docclass() -> Command {
    Command::cargo_bin("docclass").expect("binary")
}

struct Doc {
    id: String,
    text: String,
    labels: Vec<String>,
    evidence: Vec<String>,
    lang: String,
}

fn read(path: &str) -> Vec<Doc> {
    std::fs::read_to_string(path)
        .expect("fixture file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let strings = |key: &str| -> Vec<String> {
                v[key]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            Doc {
                id: v["id"].as_str().expect("id").into(),
                text: v["text"].as_str().expect("text").into(),
                labels: strings("labels"),
                evidence: strings("evidence"),
                lang: v["lang"].as_str().unwrap_or_default().into(),
            }
        })
        .collect()
}

fn label_index(model: &Classifier, name: &str) -> usize {
    model
        .labels()
        .iter()
        .position(|l| l == name)
        .expect("label in model")
}

#[test]
fn background_fixtures_almost_never_get_a_label() {
    let model = default_model().expect("model");
    let docs = read("tests/fixtures/background-heldout.jsonl");
    assert!(docs.len() >= 80, "{} background fixtures", docs.len());
    let labelled: Vec<&str> = docs
        .iter()
        .filter(|d| !model.predict_text(&d.text).labels.is_empty())
        .map(|d| d.id.as_str())
        .collect();
    let rate = labelled.len() as f64 / docs.len() as f64;
    // Issue 10's goal. The model shipped with this test gives 2 of 100 (the
    // opening of a BeiDou centre abroad, a Vietnamese academy's course for its
    // own provincial leaders).
    assert!(
        rate <= 0.03,
        "{} of {} background fixtures got a label: {labelled:?}",
        labelled.len(),
        docs.len()
    );
}

#[test]
fn real_genre_fixtures_keep_macro_f1() {
    let model = default_model().expect("model");
    let docs = read("tests/fixtures/genres-heldout.jsonl");
    assert!(docs.len() >= 60);
    let truth: Vec<Vec<usize>> = docs
        .iter()
        .map(|d| d.labels.iter().map(|l| label_index(&model, l)).collect())
        .collect();
    let predicted: Vec<Vec<usize>> = docs
        .iter()
        .map(|d| model.predict_text(&d.text).labels)
        .collect();
    let r = evaluate(model.labels(), &truth, &predicted, false);
    assert!(r.macro_f1 >= 0.90, "macro F1 {:.4} < 0.90", r.macro_f1);
}

/// The sentence of [`REQUIREMENTS`] in a document's language, if there is one.
fn requirement_in(lang: &str) -> Option<&'static str> {
    ["en", "zh", "fr", "es"]
        .iter()
        .position(|l| *l == lang)
        .map(|i| REQUIREMENTS[i])
}

/// Requirement sentences written for this test: English, Chinese, French,
/// Spanish.
const REQUIREMENTS: &[&str] = &[
    "Before arrival, every participant must send the organisers a written account of the agreements and projects their ministry has signed with the United States, the European Union and Japan in this field since 2018, with the names of the officials in charge.",
    "每位学员须在报到时提交一份材料，列明本单位近五年与美国、欧盟、日本开展的同类合作项目及其负责人联系方式。",
    "Chaque participant remettra à l'arrivée une note sur les accords conclus par son administration avec l'Union européenne, les États-Unis et le Japon, ainsi que les appels d'offres prévus pour les deux prochaines années.",
    "Cada participante deberá entregar un informe sobre los proyectos de cooperación de su institución con Estados Unidos, la Unión Europea y Japón, indicando los responsables y los montos.",
];

#[test]
fn adding_a_requirement_sentence_raises_intelligence_and_nothing_else() {
    let model = default_model().expect("model");
    let intel = label_index(&model, "intelligence");
    let docs: Vec<Doc> = read("tests/fixtures/genres-heldout.jsonl")
        .into_iter()
        .filter(|d| !d.labels.is_empty() && !d.labels.iter().any(|l| l == "intelligence"))
        .collect();
    assert!(docs.len() >= 30);
    let (mut raised, mut steady, mut total) = (0, 0, 0);
    for d in &docs {
        let before = model.predict_text(&d.text);
        let Some(sentence) = requirement_in(&d.lang) else {
            continue;
        };
        if before.labels.contains(&intel) {
            continue;
        }
        let after = model.predict_text(&format!("{}\n\n{sentence}\n", d.text));
        total += 1;
        raised += usize::from(after.labels.contains(&intel));
        let others_steady = (0..model.labels().len())
            .filter(|&c| c != intel)
            .all(|c| (after.scores[c] - before.scores[c]).abs() < 0.1);
        steady += usize::from(others_steady);
    }
    assert!(total >= 20);
    assert!(
        raised as f64 >= 0.85 * total as f64,
        "intelligence assigned after adding the sentence in {raised} of {total}"
    );
    assert!(
        steady as f64 >= 0.8 * total as f64,
        "other scores moved by 0.1 or more in {} of {total}",
        total - steady
    );
}

#[test]
fn removing_the_requirement_sentence_removes_intelligence() {
    let model = default_model().expect("model");
    let intel = label_index(&model, "intelligence");
    let docs: Vec<Doc> = read("tests/fixtures/genres-heldout.jsonl")
        .into_iter()
        .filter(|d| !d.evidence.is_empty())
        .collect();
    assert!(docs.len() >= 10);
    let mut dropped = 0;
    for d in &docs {
        let mut text = d.text.clone();
        for e in &d.evidence {
            text = text.replace(e.as_str(), "");
        }
        dropped += usize::from(!model.predict_text(&text).labels.contains(&intel));
    }
    assert!(
        dropped as f64 >= 0.7 * docs.len() as f64,
        "intelligence dropped in {dropped} of {} documents once the sentence was removed",
        docs.len()
    );
}

/// Site noise and ceremony boilerplate, written for this test, that every
/// real page carries whatever its labels: English, then Chinese. (Noise in
/// another language than the page's changes the detected language and so
/// the stemming; real mirror sites wrap a page in its own language.)
const BOILERPLATE: &[&str] = &[
    "Home | News | About us | Contact\nSource: International Cooperation Office  Editor: Wang  Views: 2,031  Date: 2023-05-17\nIn his speech the director thanked the Foreign Affairs Office for its cooperation on the project, recalled the long friendship between China and the participants' countries, and hoped the officials would take the Chinese experience home. The participants then posed for a group photo.\nPrint | Close\nCopyright 2023 All rights reserved",
    "首页 | 新闻中心 | 合作交流\n来源：外事办 编辑：李 浏览次数：1526 发布时间：2022-09-08\n中方代表在致辞中表示，中国愿同各国分享发展经验，深化友好合作，共建“一带一路”。学员代表感谢中国政府的精心安排，并与全体人员合影留念。\n打印本页 关闭窗口",
];

#[test]
fn boilerplate_leaves_labels_alone() {
    let model = default_model().expect("model");
    let docs: Vec<Doc> = read("tests/fixtures/genres-heldout.jsonl");
    let mut changed = Vec::new();
    let docs: Vec<&Doc> = docs
        .iter()
        .filter(|d| d.lang == "en" || d.lang == "zh")
        .collect();
    assert!(docs.len() >= 40);
    for d in &docs {
        let before = model.predict_text(&d.text);
        let noise = BOILERPLATE[usize::from(d.lang == "zh")];
        let after = model.predict_text(&format!("{noise}\n\n{}\n\n{noise}", d.text));
        if after.labels != before.labels {
            changed.push(d.id.as_str());
        }
    }
    assert!(
        changed.len() as f64 <= 0.15 * docs.len() as f64,
        "boilerplate changed the labels of {} of {} documents: {changed:?}",
        changed.len(),
        docs.len()
    );
}

#[test]
fn a_lone_requirement_sentence_scores_high() {
    let model = default_model().expect("model");
    let intel = label_index(&model, "intelligence");
    let missed: Vec<String> = REQUIREMENTS
        .iter()
        .map(|s| (s, model.predict_text(s)))
        .filter(|(_, p)| !p.labels.contains(&intel))
        .map(|(s, p)| format!("{s:?} -> {:?} (relevance {:?})", p.scores, p.relevance))
        .collect();
    // One in four may miss: a lone French sentence sits just under the
    // relevance threshold today.
    assert!(missed.len() <= 1, "{missed:#?}");
}

#[test]
fn unrelated_texts_score_low_whatever_words_they_share() {
    let model = default_model().expect("model");
    // Written for this test: a fixture list, a recipe, a forum post.
    let texts = [
        "Premier League fixtures 2023/24, matchweek 12\nSat 4 Nov 2023 15:00 Arsenal v Burnley\nSat 4 Nov 2023 17:30 Chelsea v Spurs\nSun 5 Nov 2023 14:00 Liverpool v Brentford\nMatch officials for all fixtures will be confirmed on Thursday.",
        "Slow-cooked beef and potato stew. Brown 800 g of beef in batches, add two onions, three carrots and a litre of stock, then simmer for two hours. Season and serve with crusty bread. Serves 4.",
        "From: kb@netcom.example\nSubject: Re: SCSI vs IDE on a 486\nLines: 12\n\n> Is the SCSI card worth the extra $200?\nOnly if you plan to add a tape drive or a CD-ROM. For one disk, IDE is fine and the project will cost you less.",
        "2023年中超联赛第28轮：上海海港主场2比1战胜北京国安，提前两轮夺冠。赛后主教练表示，球队在训练中的合作越来越默契。",
    ];
    for text in texts {
        let p = model.predict_text(text);
        assert!(p.labels.is_empty(), "{text:?} got {:?}", p.labels);
        let best = p.scores.iter().cloned().fold(0.0, f64::max);
        assert!(best < 0.3, "{text:?} scores {:?}", p.scores);
        assert!(
            p.relevance.is_some_and(|r| r < 0.5),
            "{text:?}: {:?}",
            p.relevance
        );
    }
}

#[test]
fn no_year_among_the_strongest_terms() {
    let model = default_model().expect("model");
    for (c, label) in model.labels().iter().enumerate() {
        let (positive, negative) = model.top_terms(c, 25);
        for (term, _) in positive.iter().chain(&negative) {
            assert!(
                !term.chars().all(|ch| ch.is_ascii_digit() || ch == '.'),
                "{label}: number {term:?} among the 25 strongest"
            );
        }
    }
}

/// Terms that every program page contains: none may be among a label's 25
/// strongest terms, or the model has learnt the corpus's style. The default
/// model keeps them out of its label heads with `--label-stop-words
/// training/label_stop_words.txt`; this checks that the list and the
/// analysis still cover every form that reaches the vocabulary.
#[test]
fn no_generic_term_or_year_among_the_strongest_terms() {
    let model = default_model().expect("model");
    let generic = [
        "seminar", "cours", "course", "offici", "official", "china", "chines", "foreign",
        "project", "particip", "研讨", "研修", "培训", "官员", "中国", "外国", "项目", "学员",
    ];
    for (c, label) in model.labels().iter().enumerate() {
        let (positive, negative) = model.top_terms(c, 25);
        for (term, weight) in positive.iter().chain(&negative) {
            assert!(
                !generic.contains(&term.as_str()),
                "{label}: generic term {term:?} ({weight:+.2}) among the 25 strongest"
            );
            assert!(
                !(term.len() == 4 && term.chars().all(|ch| ch.is_ascii_digit())),
                "{label}: year {term:?} among the 25 strongest"
            );
        }
    }
}

#[test]
fn traditional_and_simplified_chinese_get_the_same_labels() {
    let model = default_model().expect("model");
    // One notice, written for this test, in both scripts.
    let simplified = "2019年发展中国家经济特区建设与管理研修班开班。来自非洲和亚洲的28名官员将学习园区规划、招商引资、海关监管和物流服务。";
    let traditional = "2019年發展中國家經濟特區建設與管理研修班開班。來自非洲和亞洲的28名官員將學習園區規劃、招商引資、海關監管和物流服務。";
    let a = model.predict_text(simplified);
    let b = model.predict_text(traditional);
    assert_eq!(a.labels, b.labels);
    for (x, y) in a.scores.iter().zip(&b.scores) {
        assert!((x - y).abs() < 1e-9, "{:?} vs {:?}", a.scores, b.scores);
    }
    assert!(a.labels.contains(&label_index(&model, "trade")));
}

#[test]
fn explain_names_the_requirement_sentence() {
    let model = default_model().expect("model");
    let text = format!(
        "Seminar on Port Logistics for Officials of Developing Countries\nThe course covers berth planning, customs clearance and cold-chain logistics.\n{}\nParticipants will visit the container terminal in week two.",
        REQUIREMENTS[0]
    );
    let e = model.explain(&text, 10);
    let intel = e
        .labels
        .iter()
        .find(|l| l.label == "intelligence")
        .expect("intelligence explained");
    assert!(intel.assigned);
    assert_eq!(intel.sentence.as_deref(), Some(REQUIREMENTS[0]));
    assert!(e.relevance.is_some_and(|r| r > 0.5));
}

#[test]
fn classify_records_carry_relevance() {
    let out = docclass()
        .args(["classify", "-"])
        .write_stdin(
            "{\"id\":\"a\",\"text\":\"Seminar on customs modernisation for officials of Pacific island countries\"}\n{\"id\":\"b\",\"text\":\"Two eggs, a cup of flour and a pinch of salt make a simple pancake batter.\"}\n",
        )
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(records.len(), 2);
    let a = records[0]["relevance"].as_f64().expect("relevance");
    let b = records[1]["relevance"].as_f64().expect("relevance");
    assert!(a > 0.5 && b < 0.5, "{a} {b}");
    assert_eq!(records[1]["labels"], serde_json::json!([]));
    let csv = docclass()
        .args(["classify", "-", "--format", "csv"])
        .write_stdin("{\"id\":\"a\",\"text\":\"Port management seminar\"}\n")
        .assert()
        .success();
    let header = String::from_utf8_lossy(&csv.get_output().stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        header,
        "id,labels,governance,intelligence,trade,relevance,empty,error"
    );
}

/// `--label-stop-words`: the words listed carry no weight in any label head
/// (document or sentence model) but still count for the relevance gate.
#[test]
fn label_stop_words_are_left_to_the_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let words = dir.path().join("generic.txt");
    std::fs::write(&words, "# generic words\nseminar\nofficials\n研修\n").expect("write");
    let model = dir.path().join("m.bin");
    docclass()
        .args([
            "train",
            "--data",
            "tests/fixtures/programs-heldout.jsonl",
            "--background",
            "tests/fixtures/background-heldout.jsonl",
            "--multi-label",
            "--sentence-labels",
            "intelligence",
            "--label-stop-words",
        ])
        .arg(&words)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let out = docclass()
        .args(["inspect", "--json", "--top", "100000", "--model"])
        .arg(&model)
        .output()
        .expect("inspect");
    assert!(out.status.success());
    let card: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON card");
    let terms = |v: &serde_json::Value| -> Vec<String> {
        ["positive", "negative"]
            .iter()
            .flat_map(|side| v[side].as_array().cloned().unwrap_or_default())
            .filter_map(|t| t["term"].as_str().map(String::from))
            .collect()
    };
    let stopped = ["seminar", "offici", "研修"];
    for (label, v) in card["top_terms"].as_object().expect("labels") {
        let t = terms(v);
        assert!(t.len() > 50, "{label}: {} terms", t.len());
        for s in stopped {
            assert!(!t.iter().any(|x| x == s), "{label} still uses {s:?}");
        }
    }
    let gate = terms(&card["relevance"]);
    for s in stopped {
        assert!(gate.iter().any(|x| x == s), "the gate lost {s:?}");
    }
}

/// A word list that is missing, not text or huge is refused, naming the
/// file and the reason.
#[test]
fn unreadable_label_stop_word_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = dir.path().join("words.bin");
    std::fs::write(&binary, b"\xff\xfe\x00port").expect("write");
    let huge = dir.path().join("huge.txt");
    std::fs::write(&huge, "word\n".repeat(1 << 20)).expect("write");
    let missing = dir.path().join("no-such-words.txt");
    for (file, says) in [
        (&missing, "no-such-words.txt"),
        (&binary, "not UTF-8"),
        (&huge, "over 4 MiB"),
    ] {
        docclass()
            .args([
                "train",
                "--data",
                "tests/fixtures/programs-heldout.jsonl",
                "--out",
                "unused.bin",
                "--label-stop-words",
            ])
            .arg(file)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
}
