// Registers the KILN_NVRTC_CHECK listener (nvrtc_check_listener.h) in this test binary.
#include "nvrtc_check_listener.h"
