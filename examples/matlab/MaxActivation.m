classdef MaxActivation < scidb.BaseVariable
end
