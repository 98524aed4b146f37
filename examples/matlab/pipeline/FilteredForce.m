classdef FilteredForce < scidb.BaseVariable
end
