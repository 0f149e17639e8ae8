// kiln::nn: modules, layers, containers, functional and init, as in libtorch.
#pragma once

#include "kiln/frontend/nn/activation.h"
#include "kiln/frontend/nn/container.h"
#include "kiln/frontend/nn/conv.h"
#include "kiln/frontend/nn/dropout.h"
#include "kiln/frontend/nn/embedding.h"
#include "kiln/frontend/nn/expanding_array.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/frontend/nn/holder.h"
#include "kiln/frontend/nn/init.h"
#include "kiln/frontend/nn/linear.h"
#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/nn/normalization.h"
#include "kiln/frontend/nn/ordered_dict.h"
#include "kiln/frontend/nn/pooling.h"
