"""One jieba tokenizer per set of our own words, made once: the words one part adds
never change how another part cuts."""
from services.shared import segmentation

CUE = (("来电人", 20000, "n"),)


def test_the_same_words_give_the_same_tokenizer_and_other_words_another():
    assert segmentation.tokenizer() is segmentation.tokenizer()
    assert segmentation.tokenizer(CUE) is not segmentation.tokenizer()


def test_a_word_of_our_own_is_cut_whole_and_tagged_as_given():
    cut = [(word.word, word.flag) for word in segmentation.pos_tokenizer(CUE).cut("来电人周女士")]
    assert cut[0] == ("来电人", "n")
