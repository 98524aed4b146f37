classdef StepLength < scidb.BaseVariable
end
