// kiln::optim: SGD, Adam, AdamW, RMSprop and the learning-rate schedules.
#pragma once

#include "kiln/frontend/optim/adam.h"
#include "kiln/frontend/optim/optimizer.h"
#include "kiln/frontend/optim/rmsprop.h"
#include "kiln/frontend/optim/schedulers.h"
#include "kiln/frontend/optim/sgd.h"
