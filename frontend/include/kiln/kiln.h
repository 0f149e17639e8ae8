// kiln: a lazy tensor graph compiler with PyTorch C++ (libtorch) names. Include this one header.
#pragma once

#include "kiln/frontend/autograd.h"
#include "kiln/frontend/compile.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/data.h"
#include "kiln/frontend/indexing.h"
#include "kiln/frontend/inspect.h"
#include "kiln/frontend/nn.h"
#include "kiln/frontend/ops.h"
#include "kiln/frontend/optim.h"
#include "kiln/frontend/options.h"
#include "kiln/frontend/serialize.h"
#include "kiln/frontend/stats.h"
#include "kiln/frontend/tensor.h"
#include "kiln/runtime/error.h"
