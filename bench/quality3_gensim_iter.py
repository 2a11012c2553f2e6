"""3-epoch quality of gensim in iterable mode: python bench/quality3_gensim_iter.py SG EPOCHS SEED."""
import sys, time, json
sg, ep, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
C="/tmp/w2vdata/first10M.paragraphs.txt"
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
t=time.perf_counter()
m=Word2Vec(sentences=LineSentence(C), sg=sg, workers=2, epochs=ep, vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025 if sg else 0.05, seed=seed)
wall=time.perf_counter()-t
out=f"/tmp/w2v-q-gensimiter-{sg}-{ep}-{seed}.bin"; m.wv.save_word2vec_format(out, binary=True)
from w2v.keyedvectors import KeyedVectors
kv=KeyedVectors.load_word2vec_format(out, binary=True)
acc,_=kv.evaluate_word_analogies("/work/shared/data/eval/questions-words.txt", restrict_vocab=30000)
ws=kv.evaluate_word_pairs("/work/shared/data/eval/wordsim353.tsv")[1][0]
print(json.dumps(dict(tool="gensim-iter", sg=sg, epochs=ep, seed=seed, wall=round(wall,2), analogy=round(acc*100,2), ws=round(float(ws),4))), flush=True)
