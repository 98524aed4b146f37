classdef MeanStepLength < scidb.BaseVariable
end
