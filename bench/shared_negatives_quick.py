"""Classic vs shared-negative skip-gram end to end: python bench/shared_negatives_quick.py {0|1} EPOCHS DIM."""
import sys, time
from w2v import Word2Vec
sn=sys.argv[1]=="1"; ep=int(sys.argv[2]); d=int(sys.argv[3])
t=time.perf_counter()
m=Word2Vec(corpus_file="/tmp/w2vdata/first10M.paragraphs.txt", sg=1, workers=2, epochs=ep, vector_size=d, window=5, negative=5, alpha=0.025, shared_negatives=sn)
w=time.perf_counter()-t
acc,_=m.wv.evaluate_word_analogies("/work/shared/data/eval/questions-words.txt", restrict_vocab=30000)
ws=m.wv.evaluate_word_pairs("/work/shared/data/eval/wordsim353.tsv")[1][0]
print(f"shared={sn} epochs={ep} d={d} wall={w:.2f}s analogy={acc*100:.2f} ws={ws:.4f}")
