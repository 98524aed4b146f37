classdef RawKinematicData < scidb.BaseVariable
end
