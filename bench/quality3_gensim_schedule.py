"""w2v, 3 epochs, 2 threads, with gensim corpus_file's effective learning-rate schedule at
2 workers (each epoch decays only half of its share), to test whether that schedule
explains gensim-file's higher scores (bench/RESULTS.md, "Notes on the quality comparison").

    python bench/quality3_gensim_schedule.py SEED {gensim-file|configured} SG
"""
import sys
from w2v import Word2Vec
seed = int(sys.argv[1]); mode = sys.argv[2]; sg = int(sys.argv[3]) if len(sys.argv) > 3 else 1
import os
f = os.environ.get("W2V_CORPUS", "/tmp/w2v-bench-data/first10M.paragraphs.txt")
a0, a1, E = (0.025 if sg else 0.05), 0.0001, 3
m = Word2Vec(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, sg=sg, workers=2,
             alpha=a0, min_alpha=a1, epochs=E, seed=seed)
m.build_vocab(corpus_file=f)
if mode == "gensim-file":
    d = a0 - a1
    for e in range(E):
        m.train(corpus_file=f, total_words=m.corpus_total_words, epochs=1,
                start_alpha=a0 - d * e / E, end_alpha=a0 - d * (e + 0.5) / E)
else:
    m.train(corpus_file=f, total_words=m.corpus_total_words, epochs=E)
score, _ = m.wv.evaluate_word_analogies("/work/shared/data/eval/questions-words.txt", restrict_vocab=30000)
ws = m.wv.evaluate_word_pairs("/work/shared/data/eval/wordsim353.tsv")
print(f"sg={sg} seed={seed} schedule={mode}: analogy {100*score:.1f}%  ws353 {ws[1][0]:.3f}", flush=True)
