classdef RawEMG < scidb.BaseVariable
end
