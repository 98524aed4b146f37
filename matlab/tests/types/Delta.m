classdef Delta < scidb.BaseVariable
end
