classdef RawForce < scidb.BaseVariable
end
