//! Stop words: words so frequent in every document of a language that they
//! carry no evidence about the topic. Lists are short on purpose; TF-IDF's
//! max_df removes whatever else is everywhere in a given corpus.

use super::language::Language;
use super::{TokenFilter, TokenKind, TokenRef};
use hashbrown::HashSet;

const ENGLISH: &str = "a about above after again against all also am an and any are aren't as at
be because been before being below between both but by can can't cannot could couldn't did didn't
do does doesn't doing don't down during each either else etc even ever every few for from further
had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just
let's may me might more most must mustn't my myself neither no nor not of off often on once only
or other others ought our ours ourselves out over own per rather same shall shan't she she'd
she'll she's should shouldn't since so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those though
through thus to too under until up upon us very via was wasn't we we'd we'll we're we've were
weren't what what's when when's where where's whether which while who who's whom whose why
why's will with within without won't would wouldn't yet you you'd you'll you're you've your
yours yourself yourselves";

const RUSSIAN: &str = "а без более бы был была были было быть в вам вас весь во вот все всего
всех вы где да даже для до его ее ей ему если есть еще же за здесь и из или им их к как
когда кто ли либо между меня мне может мы на над надо наш не него нее нет ни них но ну о об
однако он она они оно от очень по под при с со так также такой там те тем то того тоже той
только том ты у уже хотя чем что чтобы чье эта эти это этого этой этом я";

const SPANISH: &str = "a al algo algunas algunos ante antes como con contra cual cuando de del
desde donde durante e el ella ellas ellos en entre era eran es esa esas ese eso esos esta
estaba estas este esto estos fue fueron ha había han hasta hay la las le les lo los más me
mi mientras muy ni no nos nosotros o otra otras otro otros para pero poco por porque que quien
se sea ser si sido sin sobre su sus también tanto te tiene tienen todo todos tu un una unas
uno unos y ya yo";

const FRENCH: &str = "à au aussi aux avec avez avoir c ce cela ces cet cette comme d dans de des
du elle elles en entre est et été être eux il ils j je l la le les leur leurs lui m ma mais
me même mes moi mon n ne ni nos notre nous on ont ou où par pas pour qu que qui s sa sans se
ses si son sont sous sur ta te tes toi ton tous tout toute toutes très tu un une vos votre
vous y";

const PORTUGUESE: &str = "a ao aos as até com como da das de dela dele deles do dos e ela elas
ele eles em entre era essa essas esse esses esta estas este estes eu foi foram há isso isto
já la lhe lhes mais mas me mesmo meu minha muito na nas nem no nos nós num numa o os ou para
pela pelas pelo pelos por qual quando que quem se sem ser seu seus sua suas também te tem
têm um uma umas uns você vocês";

const GERMAN: &str = "aber alle als also am an auch auf aus bei bin bis bist da damit dann das
dass dem den der des die dies diese dieser dieses doch dort du durch ein eine einem einen
einer eines er es für hat hatte ich ihr im in ist ja kann mit nach nicht noch nur ob oder
sich sie sind so um und uns unter vom von vor war wie wir wird wurde zu zum zur über";

const ITALIAN: &str = "a ad al alla alle anche che chi ci come con da dal dalla degli dei del
della delle di e ed gli ha hanno i il in io la le lo loro ma mi nei nel nella non o per più
quale quando questa queste questi questo se si sono su sua sue sui sul sulla tra tutti un una
uno";

const DUTCH: &str = "aan als bij dan dat de der deze die dit door een en er had heb heeft het
hij hoe hun ik in is je kan maar met mijn na naar niet nog of om onder ons ook op over te tot
uit van veel voor was wat we wel werd wie wij zal ze zich zij zijn zo";

/// Chinese function characters. In running Chinese text they mark grammar,
/// not topic; the stop-word filter splits CJK runs at them so that no
/// character bigram spans one ("中国的港口" gives 中国 and 港口, not 国的 的港).
/// Only characters that are rarely the first or second half of a content word
/// are listed.
const CHINESE: &str =
    "的 了 着 吗 呢 吧 啊 之 与 及 或 而 也 都 就 和 是 在 对 把 被 从 向 其 该 这 那 个";

/// Japanese particles and copula endings, the language's list for
/// [`list`]. Analysis goes further: see [`is_hiragana`].
const JAPANESE: &str = "の は が を に で と も へ や か な た す る";

/// Hiragana letters (U+3041 to U+3096) and their iteration marks. Hiragana
/// writes particles, inflections and auxiliaries (の, が, ます, して), while
/// content words are kanji or katakana, so every hiragana character splits
/// a CJK run as a Chinese function character does. When only the particles
/// above did, the kana between them became bigrams such as まし and てい,
/// which weighed more in the default model's relevance gate than the kanji
/// of the topic.
fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}')
}

/// The stop-word list of a language, white-space separated ("" if none).
pub fn list(language: Language) -> &'static str {
    match language {
        Language::It => ITALIAN,
        Language::Nl => DUTCH,
        Language::En => ENGLISH,
        Language::Ru => RUSSIAN,
        Language::Es => SPANISH,
        Language::Fr => FRENCH,
        Language::Pt => PORTUGUESE,
        Language::De => GERMAN,
        Language::Zh => CHINESE,
        Language::Ja => JAPANESE,
        _ => "",
    }
}

/// Removes stop words of each token's language and splits CJK runs at
/// function characters.
pub struct StopWordFilter {
    /// Indexed by [`Language::index`].
    words: Vec<HashSet<&'static str>>,
    cjk_stops: HashSet<char>,
}

impl Default for StopWordFilter {
    fn default() -> Self {
        let words = Language::ALL
            .into_iter()
            .map(|l| {
                if l.script() == super::language::Script::Cjk {
                    HashSet::default()
                } else {
                    list(l).split_whitespace().collect()
                }
            })
            .collect();
        // Japanese particles are hiragana, which `is_hiragana` covers.
        let cjk_stops = CHINESE
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .collect();
        StopWordFilter { words, cjk_stops }
    }
}

impl StopWordFilter {
    pub fn is_stop_word(&self, word: &str, language: Language) -> bool {
        self.words[language.index()].contains(word)
    }

    /// Calls `emit` with the parts of a CJK run between function characters.
    pub fn split_run<'t>(&self, run: &'t str, mut emit: impl FnMut(&'t str)) {
        let mut start = 0;
        for (i, c) in run.char_indices() {
            if is_hiragana(c) || self.cjk_stops.contains(&c) {
                if i > start {
                    emit(&run[start..i]);
                }
                start = i + c.len_utf8();
            }
        }
        if start < run.len() {
            emit(&run[start..]);
        }
    }
}

impl TokenFilter for StopWordFilter {
    type State = ();

    fn feed(&self, _: &mut (), token: TokenRef<'_>, next: &mut impl FnMut(TokenRef<'_>)) {
        match token.kind {
            TokenKind::CjkRun => self.split_run(token.text, |part| {
                next(token.with_text(part, TokenKind::CjkRun))
            }),
            TokenKind::Word
                if token
                    .language
                    .is_some_and(|l| self.is_stop_word(token.text, l)) => {}
            _ => next(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{apply_filter, language::Script};

    fn word(text: &str, language: Language) -> TokenRef<'_> {
        TokenRef {
            text,
            kind: TokenKind::Word,
            script: Script::Latin,
            language: Some(language),
        }
    }

    fn run(text: &str) -> TokenRef<'_> {
        TokenRef {
            text,
            kind: TokenKind::CjkRun,
            script: Script::Cjk,
            language: Some(Language::Zh),
        }
    }

    #[test]
    fn removes_stop_words_of_the_token_language_only() {
        let f = StopWordFilter::default();
        let out = apply_filter(
            &f,
            &[
                word("the", Language::En),
                word("port", Language::En),
                word("de", Language::En),
                word("de", Language::Es),
            ],
        );
        let texts: Vec<_> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["port", "de"]);
    }

    #[test]
    fn splits_chinese_runs_at_function_characters() {
        let f = StopWordFilter::default();
        let out = apply_filter(&f, &[run("中国的港口和海关")]);
        let texts: Vec<_> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["中国", "港口", "海关"]);
        assert!(out.iter().all(|t| t.kind == TokenKind::CjkRun));
    }

    #[test]
    fn splits_japanese_runs_at_hiragana() {
        let f = StopWordFilter::default();
        let out = apply_filter(&f, &[run("研修団が訪日しましたインフラ整備について")]);
        let texts: Vec<_> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["研修団", "訪日", "インフラ整備"]);
    }

    #[test]
    fn drops_runs_made_only_of_function_characters() {
        let f = StopWordFilter::default();
        let out = apply_filter(&f, &[run("的了")]);
        assert!(out.is_empty());
    }
}
