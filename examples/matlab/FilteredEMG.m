classdef FilteredEMG < scidb.BaseVariable
end
