// Debian's OpenBLAS (libopenblas-dev, installed by scripts/setup-system): CBLAS and openblas_set_num_threads.
#include <cblas.h>
